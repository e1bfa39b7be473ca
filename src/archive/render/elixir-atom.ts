/**
 * How Elixir 1.14 (and 1.18, with `v118`) writes an atom (`Macro.inspect_atom/2`): as a literal
 * (`:ok`, `Foo.Bar`, `:"with space"`), as a keyword key (`ok:`, `"a b":`), and
 * as the function name of a remote call (`&Mod.fun/1`, `&:m."a b"/1`).
 * The classification mirrors `Macro.classify_atom/1` and `String.Tokenizer`,
 * including its Unicode rules (UAX #31 identifiers, NFC, and the "highly
 * restrictive" mixed-script check) for the scripts listed in SCRIPTS.
 */
import { escapeCodePoints, stringCodePoints } from './elixir-escape';

type Inner = 'alias' | 'identifier' | 'not_callable' | 'unquoted_operator' | 'quoted_operator' | 'other';

const NOT_CALLABLE = new Set(['%', '%{}', '{}', '<<>>', '...', '..', '.', '..//', '->']);
const QUOTED_OPERATORS = new Set(['::', '~~~', '<|>', '^^^']);
const OPERATORS = new Set(
  ('! @ ^ not + - & === !== == != <= >= && || <> ++ -- ** +++ --- in |> <<< >>> <<~ ~>> <~ ~> <~> ' + '< > * / = | and or when <- \\\\ =~ &&& |||').split(' '),
);

const ALIAS = /^Elixir(\.[A-Z][A-Za-z0-9_]*)*$/;
const ASCII_ID = /^[a-zA-Z_][a-zA-Z0-9_]*(@[a-zA-Z0-9_]*)*[?!]?$/u;

// Titlecase letters (Lt) may not start an identifier in Elixir 1.14.
const UNICODE_UPPER = /^\p{Lu}$/u;
const TITLECASE = /^\p{Lt}$/u;
const UNICODE_START = /^\p{ID_Start}$/u;
const UNICODE_CONTINUE = /^\p{ID_Continue}$/u;
const COMMON = /^[\p{Script=Common}\p{Script=Inherited}]$/u;

// Scripts for the mixed-script check, with UTS #39's augmentation (Han is also Japanese, Korean and Bopomofo-Han).
const SCRIPTS: [string, RegExp][] = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Georgian',
  'Hangul',
  'Ethiopic',
  'Cherokee',
  'Khmer',
  'Mongolian',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
].map((s) => [s, new RegExp(`^\\p{Script_Extensions=${s}}$`, 'u')]);
const AUGMENT: Record<string, string[]> = {
  Han: ['Han', 'Jpan', 'Kore', 'Hanb'],
  Hiragana: ['Hiragana', 'Jpan'],
  Katakana: ['Katakana', 'Jpan'],
  Hangul: ['Hangul', 'Kore'],
  Bopomofo: ['Bopomofo', 'Hanb'],
};
const HIGHLY_RESTRICTIVE = [
  ['Latin', 'Han', 'Hiragana', 'Katakana', 'Jpan'],
  ['Latin', 'Han', 'Bopomofo', 'Hanb'],
  ['Latin', 'Han', 'Hangul', 'Kore'],
];
// Elixir 1.14's tables predate Unicode 15.1, which added the joiners to ID_Continue.
const JOINERS = /^[\u200c\u200d]$/u;

function scriptsOf(ch: string): string[] {
  const out: string[] = [];
  for (const [name, re] of SCRIPTS) if (re.test(ch)) out.push(...(AUGMENT[name] ?? [name]));
  return out.length ? out : ['?' + ch];
}

/** The scripts every non-Common character of \`chars\` has (augmented), or null when all are Common. */
function sharedScripts(chars: readonly string[]): Set<string> | null {
  let common: Set<string> | null = null;
  for (const ch of chars) {
    if (COMMON.test(ch)) continue;
    const s = scriptsOf(ch);
    common = common === null ? new Set(s) : new Set(s.filter((x) => common!.has(x)));
  }
  return common;
}

/**
 * Whether the tokenizer accepts the scripts of an identifier. Elixir 1.14: one script, or every character within
 * one of UTS #39's "highly restrictive" CJK + Latin combinations. Elixir 1.18: each \`_\`-separated chunk in one
 * script (UTS #55's identifier chunks: \`日本_abc\` but not \`日本abc\`), with no highly restrictive exception.
 */
function mixedScriptsOk(chars: string[], v118: boolean): boolean {
  if (v118) {
    let start = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (i < chars.length && chars[i] !== '_') continue;
      if (sharedScripts(chars.slice(start, i))?.size === 0) return false;
      start = i + 1;
    }
    return true;
  }
  const common = sharedScripts(chars);
  if (common === null || common.size > 0) return true;
  const sets = chars.filter((ch) => !COMMON.test(ch)).map(scriptsOf);
  return HIGHLY_RESTRICTIVE.some((allowed) => sets.every((s) => s.some((x) => allowed.includes(x))));
}

/** String.Tokenizer.tokenize on the whole name: the kind when all of it is one identifier, else null. */
function tokenize(name: string, v118: boolean): 'identifier' | 'not_callable' | null {
  if (ASCII_ID.test(name)) return /^[a-z_]/.test(name) && !name.includes('@') ? 'identifier' : 'not_callable';
  const chars = [...name];
  if (chars.length === 0) return null;
  const first = chars[0]!;
  let kind: 'identifier' | 'not_callable';
  if (/^[A-Z]$/.test(first)) kind = 'not_callable';
  else if (/^[a-z_]$/.test(first)) kind = 'identifier';
  else if (UNICODE_UPPER.test(first) && UNICODE_START.test(first)) kind = 'not_callable';
  else if (UNICODE_START.test(first) && !TITLECASE.test(first)) kind = 'identifier';
  else return null;
  let i = 1;
  let at = false;
  for (; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '?' || c === '!') {
      i++;
      break;
    }
    if (c === '@') at = true;
    else if (!/^[a-zA-Z0-9_]$/.test(c) && (!UNICODE_CONTINUE.test(c) || JOINERS.test(c))) return null;
  }
  if (i < chars.length) return null;
  if (name.normalize('NFC') !== name || !mixedScriptsOk(chars, v118)) return null;
  return at ? 'not_callable' : kind;
}

/** Each name's class, per rules: [Elixir 1.14's, 1.18's]. */
const classes = [new Map<string, Inner>(), new Map<string, Inner>()] as const;

function innerClassify(name: string, v118: boolean): Inner {
  const cache = classes[v118 ? 1 : 0];
  let k = cache.get(name);
  if (k !== undefined) return k;
  if (NOT_CALLABLE.has(name)) k = 'not_callable';
  else if (QUOTED_OPERATORS.has(name)) k = 'quoted_operator';
  else if (OPERATORS.has(name)) k = 'unquoted_operator';
  else if (ALIAS.test(name)) k = 'alias';
  else k = tokenize(name, v118) ?? 'other';
  if (cache.size < 100_000) cache.set(name, k);
  return k;
}

function quoted(name: string, v118: boolean): string {
  return escapeCodePoints(stringCodePoints(name), 0x22, Infinity, v118).text;
}

/** Each atom's literal, per rules: [Elixir 1.14's, 1.18's]. */
const literals = [new Map<string, string>(), new Map<string, string>()] as const;

/** The atom as a literal (\`:ok\`, \`Foo\`, \`:"a b"\`); \`v118\`: Elixir 1.18's rules (RenderOptions.elixir118). */
export function inspectAtomLiteral(name: string, v118 = false): string {
  // Atoms repeat in every trace (`:ok`, `:"$gen_call"`): the text once per name, as innerClassify's cache.
  const cache = literals[v118 ? 1 : 0];
  let s = cache.get(name);
  if (s === undefined) {
    s = atomLiteral(name, v118);
    if (cache.size < 100_000) cache.set(name, s);
  }
  return s;
}

function atomLiteral(name: string, v118: boolean): string {
  if (name === 'nil' || name === 'true' || name === 'false') return name;
  switch (innerClassify(name, v118)) {
    case 'alias':
      return name === 'Elixir' || name === 'Elixir.Elixir' || name.startsWith('Elixir.Elixir.') ? name : name.slice(7);
    case 'identifier':
    case 'not_callable':
    case 'unquoted_operator':
      return ':' + name;
    default:
      return ':"' + quoted(name, v118) + '"';
  }
}

/** The atom as a keyword key (\`ok:\`, \`"a b":\`). */
export function inspectAtomKey(name: string, v118 = false): string {
  switch (innerClassify(name, v118)) {
    case 'alias':
      return '"' + name + '":';
    case 'identifier':
    case 'not_callable':
    case 'unquoted_operator':
      return name + ':';
    default:
      return '"' + quoted(name, v118) + '":';
  }
}

/** The atom as the function name of a remote call (\`fun\` in \`&Mod.fun/1\`). */
export function inspectAtomRemoteCall(name: string, v118 = false): string {
  const k = innerClassify(name, v118);
  if (k === 'identifier' || k === 'unquoted_operator' || k === 'quoted_operator') return name;
  return '"' + (k === 'not_callable' || k === 'alias' ? name : quoted(name, v118)) + '"';
}
