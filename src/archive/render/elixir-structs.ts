/**
 * Structs in Elixir 1.14's inspect: the standard library's own Inspect
 * implementations (Range, MapSet, calendar types, Date.Range, Regex, the derived URI and
 * Version, Version.Requirement, and 1.17's Duration) and `Inspect.Any`, which prints `%Mod{...}` in field-definition
 * order only when the module is loaded and the map has exactly its keys.
 * Offline "loaded" means: listed in ANY_FIELDS (field orders taken from
 * `Mod.__info__(:struct)` on Elixir 1.14) or known to `structFields`.
 */
import type { ErlMap, Term } from '../etf/term';
import { atom, isAtom } from '../etf/term';
import { compareTerms } from './compare';
import { inspectAtomKey } from './elixir-atom';
import { binaryCodePoints, escapeChar, isPrintableCodePoint } from './elixir-escape';

/** Renders a term with the given remaining limit (and optionally charlists forced to lists). */
export type Render = (t: Term, limit: number, asLists?: boolean) => string;

const ANY_FIELDS: Record<string, readonly string[]> = {
  'Elixir.Task': ['mfa', 'owner', 'pid', 'ref'],
  'Elixir.File.Stat': ['size', 'type', 'access', 'atime', 'mtime', 'ctime', 'mode', 'links', 'major_device', 'minor_device', 'inode', 'uid', 'gid'],
  'Elixir.IO.Stream': ['device', 'raw', 'line_or_bytes'],
  'Elixir.RuntimeError': ['__exception__', 'message'],
  'Elixir.ArgumentError': ['__exception__', 'message'],
  'Elixir.ArithmeticError': ['__exception__', 'message'],
  'Elixir.SystemLimitError': ['__exception__', 'message'],
  'Elixir.Enum.EmptyError': ['__exception__', 'message'],
  'Elixir.KeyError': ['__exception__', 'key', 'term', 'message'],
  'Elixir.MatchError': ['__exception__', 'term'],
  'Elixir.CaseClauseError': ['__exception__', 'term'],
  'Elixir.BadMapError': ['__exception__', 'term'],
  'Elixir.BadStructError': ['__exception__', 'struct', 'term'],
  'Elixir.ErlangError': ['__exception__', 'original', 'reason'],
  'Elixir.FunctionClauseError': ['__exception__', 'module', 'function', 'arity', 'kind', 'args', 'clauses'],
  'Elixir.UndefinedFunctionError': ['__exception__', 'module', 'function', 'arity', 'reason', 'message'],
  'Elixir.Protocol.UndefinedError': ['__exception__', 'protocol', 'value', 'description'],
  'Elixir.File.Error': ['__exception__', 'reason', 'path', 'action'],
  'Elixir.CompileError': ['__exception__', 'file', 'line', 'description'],
};

/** Structs with `@derive {Inspect, optional: [...]}`: those fields are hidden while equal to their default. */
const DERIVED: Record<string, { fields: readonly string[]; optional: Record<string, Term> }> = {
  'Elixir.URI': { fields: ['scheme', 'authority', 'userinfo', 'host', 'port', 'path', 'query', 'fragment'], optional: { authority: atom('nil') } },
  'Elixir.Version': { fields: ['major', 'minor', 'patch', 'pre', 'build'], optional: { pre: [], build: atom('nil') } },
};

class Fields {
  readonly byName = new Map<string, Term>();
  readonly complete: boolean;

  constructor(map: ErlMap) {
    let atomsOnly = true;
    for (const [k, v] of map.entries) {
      if (isAtom(k)) this.byName.set(k.name, v);
      else atomsOnly = false;
    }
    this.complete = atomsOnly;
  }

  get(name: string): Term | undefined {
    return this.byName.get(name);
  }

  /** Map.keys(struct) == Map.keys(Mod.__struct__()) */
  hasExactly(fields: readonly string[]): boolean {
    if (!this.complete || this.byName.size !== fields.length + 1) return false;
    return fields.every((f) => this.byName.has(f));
  }
}

function int(t: Term | undefined): number | null {
  return typeof t === 'number' ? t : null;
}

function pad(n: number, width: number): string {
  return n < 0 ? '-' + String(-n).padStart(width, '0') : String(n).padStart(width, '0');
}

/**
 * A date's fields as the sigils write them (\`text\`) and as \`Date.new!/3\` takes them (\`args\`); \`beyond\`: a year
 * past ±9999, which the sigils cannot read back (Elixir 1.18 writes a call or a #DateTime<> then). Null if a field is
 * missing or not an integer.
 */
function dateParts(f: Fields): { text: string; args: string; beyond: boolean } | null {
  const y = int(f.get('year'));
  const m = int(f.get('month'));
  const d = int(f.get('day'));
  if (y === null || m === null || d === null) return null;
  return { text: `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`, args: `${y}, ${m}, ${d}`, beyond: y > 9999 || y < -9999 };
}

/** A time's fields as the sigils write them (\`text\`) and as \`NaiveDateTime.new!/7\` takes them after the date (\`args\`). */
function timeParts(f: Fields): { text: string; args: string } | null {
  const h = int(f.get('hour'));
  const mi = int(f.get('minute'));
  const s = int(f.get('second'));
  const us = f.get('microsecond');
  if (h === null || mi === null || s === null || us === undefined || !isTupleOf2Ints(us)) return null;
  const [value, precision] = us.items;
  const frac = precision === 0 ? '' : '.' + String(value).padStart(6, '0').slice(0, precision);
  return { text: `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac}`, args: `${h}, ${mi}, ${s}, {${value}, ${precision}}` };
}

/** The two items of a 2-tuple, or null. */
function pair(t: Term): readonly [Term, Term] | null {
  if (typeof t !== 'object' || Array.isArray(t) || t instanceof Uint8Array || t.t !== 'tuple' || t.items.length !== 2) return null;
  return t.items as [Term, Term];
}

function isTupleOf2Ints(t: Term): t is { t: 'tuple'; items: [number, number] } {
  const p = pair(t);
  return p !== null && typeof p[0] === 'number' && typeof p[1] === 'number';
}

function text(t: Term | undefined): string | null {
  if (!(t instanceof Uint8Array)) return null;
  const cps = binaryCodePoints(t);
  return cps.some((c) => c < 0) ? null : String.fromCodePoint(...cps);
}

function offsetText(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const a = Math.abs(seconds);
  const hh = pad(Math.floor(a / 3600), 2);
  const mm = pad(Math.floor((a % 3600) / 60), 2);
  const ss = a % 60;
  return `${sign}${hh}:${mm}${ss ? ':' + pad(ss, 2) : ''}`;
}

function isoCalendar(f: Fields): boolean {
  const c = f.get('calendar');
  return c !== undefined && isAtom(c, 'Elixir.Calendar.ISO');
}

/**
 * `Inspect.Regex` of 1.14: `/` (unless already escaped) becomes `\/`, `#{` becomes `\#{`, control characters
 * become `\n`-style escapes, and \b, \d, \e (which mean something else in a regex) become hex.
 */
function regexText(source: Uint8Array, opts: Uint8Array): string | null {
  const cps = binaryCodePoints(source);
  const controls: Record<number, string> = { 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v', 12: '\\f', 7: '\\a' };
  let out = '';
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    if (c === 0x5c && cps[i + 1] === 0x2f) {
      out += '\\/';
      i++;
    } else if (c === 0x2f) out += '\\/';
    else if (c === 0x23 && cps[i + 1] === 0x7b) {
      out += '\\#{';
      i++;
    } else if (controls[c] !== undefined) out += controls[c];
    else if (c >= 0 && isPrintableCodePoint(c) && c !== 0x7f) out += String.fromCodePoint(c);
    else out += escapeChar(c < 0 ? -1 - c : c);
  }
  const o = text(opts);
  return o === null ? null : `~r/${out}/${o}`;
}

/**
 * The modifiers of a regex whose options are a list (Elixir 1.18's `Inspect.Regex`): each known run of options is a
 * letter, written in the reverse of the list's order; null when an option has no letter.
 */
function regexLetters(opts: readonly Term[]): string | null {
  const one: Record<string, string> = { caseless: 'i', extended: 'x', firstline: 'f', ungreedy: 'U', multiline: 'm' };
  let out = '';
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i]!;
    const next = opts[i + 1];
    if (isAtom(o, 'dotall') && next !== undefined && isNewlineAnyCrlf(next)) {
      out = 's' + out;
      i++;
    } else if (isAtom(o, 'unicode') && next !== undefined && isAtom(next, 'ucp')) {
      out = 'u' + out;
      i++;
    } else if (isAtom(o) && one[o.name] !== undefined) out = one[o.name] + out;
    else return null;
  }
  return out;
}

function isNewlineAnyCrlf(t: Term): boolean {
  const p = pair(t);
  return p !== null && isAtom(p[0], 'newline') && isAtom(p[1], 'anycrlf');
}

/** The inspect text of a struct, or null when inspect would print it as a plain map. */
export function renderStruct(
  module: string,
  map: ErlMap,
  limit: number,
  render: Render,
  moduleName: string,
  structFields: ((module: string) => readonly string[] | undefined) | undefined,
  mapKeys: (map: ErlMap) => Term[],
  v118: boolean,
): string | null {
  const f = new Fields(map);
  const keyword = (fields: readonly string[]): string => {
    const shown = fields.filter((x) => x !== '__exception__');
    return container(`%${moduleName}{`, shown, '}', limit, (name, l) => `${inspectAtomKey(name, v118)} ${render(f.get(name) ?? atomNil, l)}`);
  };
  switch (module) {
    case 'Elixir.Range': {
      const first = f.get('first');
      const last = f.get('last');
      const step = f.get('step');
      if (first === undefined || last === undefined || step === undefined) return null;
      const base = `${render(first, limit)}..${render(last, limit)}`;
      const ascending = typeof first === 'number' && typeof last === 'number' && last >= first;
      return step === 1 && ascending ? base : `${base}//${render(step, limit)}`;
    }
    case 'Elixir.MapSet': {
      const m = f.get('map');
      if (m === undefined || typeof m !== 'object' || Array.isArray(m) || m instanceof Uint8Array || m.t !== 'map') return null;
      return `MapSet.new(${render(mapKeys(m), limit, true)})`;
    }
    case 'Elixir.Date': {
      const d = dateParts(f);
      if (d === null || !isoCalendar(f)) return null;
      return v118 && d.beyond ? `Date.new!(${d.args})` : `~D[${d.text}]`;
    }
    case 'Elixir.Time': {
      const t = timeParts(f);
      return t !== null && isoCalendar(f) ? `~T[${t.text}]` : null;
    }
    case 'Elixir.NaiveDateTime': {
      const d = dateParts(f);
      const t = timeParts(f);
      if (d === null || t === null || !isoCalendar(f)) return null;
      return v118 && d.beyond ? `NaiveDateTime.new!(${d.args}, ${t.args})` : `~N[${d.text} ${t.text}]`;
    }
    case 'Elixir.DateTime': {
      const d = dateParts(f);
      const t = timeParts(f);
      const tz = text(f.get('time_zone'));
      const abbr = text(f.get('zone_abbr'));
      const utc = int(f.get('utc_offset'));
      const std = int(f.get('std_offset'));
      if (d === null || t === null || tz === null || abbr === null || utc === null || std === null || !isoCalendar(f)) return null;
      if (tz === 'Etc/UTC' && utc === 0 && std === 0) return v118 && d.beyond ? `#DateTime<${d.text} ${t.text}Z>` : `~U[${d.text} ${t.text}Z]`;
      return `#DateTime<${d.text} ${t.text}${offsetText(utc + std)} ${abbr} ${tz}>`;
    }
    case 'Elixir.Date.Range': {
      // `Inspect.Date.Range`: the call that makes it, the step only when it is not 1
      const first = f.get('first');
      const last = f.get('last');
      const step = f.get('step');
      if (first === undefined || last === undefined || typeof step !== 'number' || !f.hasExactly(DATE_RANGE_FIELDS)) return null;
      return `Date.range(${render(first, limit)}, ${render(last, limit)}${step === 1 ? '' : `, ${step}`})`;
    }
    case 'Elixir.Version.Requirement': {
      // `Inspect.Version.Requirement` writes the source between quotes as it is, unescaped
      const source = text(f.get('source'));
      return source === null || !f.hasExactly(['source', 'lexed']) ? null : `Version.parse_requirement!("${source}")`;
    }
    case 'Elixir.Duration': {
      // `Inspect.Duration` (Elixir 1.17+): the units that are not zero, in this order
      if (!f.hasExactly(DURATION_FIELDS)) return null;
      return keyword(DURATION_FIELDS.filter((x) => !isZeroUnit(f.get(x)!)));
    }
    case 'Elixir.Regex': {
      const source = f.get('source');
      const opts = f.get('opts');
      if (!(source instanceof Uint8Array)) return null;
      if (opts instanceof Uint8Array) return regexText(source, opts);
      if (!Array.isArray(opts)) return null;
      // Elixir 1.18 keeps the compile options (`[:unicode, :ucp, :caseless]`) and prints their letters back (`iu`).
      const letters = regexLetters(opts);
      if (letters === null) return `Regex.compile!(${render(source, limit)}, ${render(opts, limit)})`;
      return regexText(source, new TextEncoder().encode(letters));
    }
  }
  const derived = DERIVED[module];
  if (derived !== undefined) {
    return keyword(derived.fields.filter((x) => derived.optional[x] === undefined || compareTerms(f.get(x) ?? atomNil, derived.optional[x]!) !== 0));
  }
  const fields = ANY_FIELDS[module] ?? structFields?.(module);
  if (fields === undefined || !f.hasExactly(fields)) return null;
  return keyword(fields);
}

const atomNil: Term = atom('nil');

const DATE_RANGE_FIELDS = ['first', 'last', 'first_in_iso_days', 'last_in_iso_days', 'step'] as const;
const DURATION_FIELDS = ['year', 'month', 'week', 'day', 'hour', 'minute', 'second', 'microsecond'] as const;

/** A Duration unit inspect leaves out: 0, or a microsecond of `{0, 0}`. */
function isZeroUnit(t: Term): boolean {
  const p = pair(t);
  return t === 0 || (p !== null && p[0] === 0 && p[1] === 0);
}

/** Inspect.Algebra.container_doc on one line: each item gets the limit left after it. */
export function container<T>(open: string, items: readonly T[], close: string, limit: number, each: (item: T, limit: number) => string): string {
  if (items.length === 0) return open + close;
  let out = open;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ', ';
    if (limit === 0) return out + '...' + close;
    limit--;
    out += each(items[i]!, limit);
  }
  return out + close;
}
