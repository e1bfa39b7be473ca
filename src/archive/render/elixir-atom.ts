/**
 * How Elixir 1.14 writes an atom (`Macro.inspect_atom/2`): as a literal
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

/** UTS #39 "highly restrictive": one script, or every character within one of the CJK + Latin combinations. */
function mixedScriptsOk(chars: string[]): boolean {
  let common: Set<string> | null = null;
  const sets: string[][] = [];
  for (const ch of chars) {
    if (COMMON.test(ch)) continue;
    const s = scriptsOf(ch);
    sets.push(s);
    common = common === null ? new Set(s) : new Set(s.filter((x) => common!.has(x)));
  }
  if (common === null || common.size > 0) return true;
  return HIGHLY_RESTRICTIVE.some((allowed) => sets.every((s) => s.some((x) => allowed.includes(x))));
}

/** String.Tokenizer.tokenize on the whole name: the kind when all of it is one identifier, else null. */
function tokenize(name: string): 'identifier' | 'not_callable' | null {
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
  if (name.normalize('NFC') !== name || !mixedScriptsOk(chars)) return null;
  return at ? 'not_callable' : kind;
}

const cache = new Map<string, Inner>();

function innerClassify(name: string): Inner {
  let k = cache.get(name);
  if (k !== undefined) return k;
  if (NOT_CALLABLE.has(name)) k = 'not_callable';
  else if (QUOTED_OPERATORS.has(name)) k = 'quoted_operator';
  else if (OPERATORS.has(name)) k = 'unquoted_operator';
  else if (ALIAS.test(name)) k = 'alias';
  else k = tokenize(name) ?? 'other';
  if (cache.size < 100_000) cache.set(name, k);
  return k;
}

function quoted(name: string): string {
  return escapeCodePoints(stringCodePoints(name), 0x22).text;
}

const literals = new Map<string, string>();

export function inspectAtomLiteral(name: string): string {
  // Atoms repeat in every trace (`:ok`, `:"$gen_call"`): the text once per name, as innerClassify's cache.
  let s = literals.get(name);
  if (s === undefined) {
    s = atomLiteral(name);
    if (literals.size < 100_000) literals.set(name, s);
  }
  return s;
}

function atomLiteral(name: string): string {
  if (name === 'nil' || name === 'true' || name === 'false') return name;
  switch (innerClassify(name)) {
    case 'alias':
      return name === 'Elixir' || name === 'Elixir.Elixir' || name.startsWith('Elixir.Elixir.') ? name : name.slice(7);
    case 'identifier':
    case 'not_callable':
    case 'unquoted_operator':
      return ':' + name;
    default:
      return ':"' + quoted(name) + '"';
  }
}

export function inspectAtomKey(name: string): string {
  switch (innerClassify(name)) {
    case 'alias':
      return '"' + name + '":';
    case 'identifier':
    case 'not_callable':
    case 'unquoted_operator':
      return name + ':';
    default:
      return '"' + quoted(name) + '":';
  }
}

export function inspectAtomRemoteCall(name: string): string {
  const k = innerClassify(name);
  if (k === 'identifier' || k === 'unquoted_operator' || k === 'quoted_operator') return name;
  return '"' + (k === 'not_callable' || k === 'alias' ? name : quoted(name)) + '"';
}
