/**
 * Erlang term order: number < atom < reference < fun < port < pid < tuple <
 * map < nil < list < bitstring.
 *
 * `compareTerms` is the order of `<` and `lists:sort/1` (1 and 1.0 compare
 * equal). `compareMapKeys` is the stricter order maps keep their keys in
 * (what `maps:to_list/1`, `inspect/1` and `~p` show for maps up to 32 keys):
 * there every integer sorts before every float.
 */
import type { Term } from '../etf/term';

const enum_ = {
  number: 0,
  atom: 1,
  ref: 2,
  fun: 3,
  port: 4,
  pid: 5,
  tuple: 6,
  map: 7,
  nil: 8,
  list: 9,
  bitstring: 10,
} as const;

function rank(t: Term): number {
  if (typeof t === 'number' || typeof t === 'bigint') return enum_.number;
  if (t instanceof Uint8Array) return enum_.bitstring;
  if (Array.isArray(t)) return t.length === 0 ? enum_.nil : enum_.list;
  switch (t.t) {
    case 'float':
      return enum_.number;
    case 'atom':
      return enum_.atom;
    case 'ref':
      return enum_.ref;
    case 'fun':
    case 'export':
      return enum_.fun;
    case 'port':
      return enum_.port;
    case 'pid':
      return enum_.pid;
    case 'tuple':
      return enum_.tuple;
    case 'map':
      return enum_.map;
    case 'improper':
      return enum_.list;
    case 'bitstring':
      return enum_.bitstring;
  }
}

export function compareTerms(a: Term, b: Term): number {
  return cmp(a, b, false);
}

export function compareMapKeys(a: Term, b: Term): number {
  return cmp(a, b, true);
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compares strings by code point (JS `<` compares UTF-16 units, which misorders astral characters). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return sign(a.length - b.length);
}

function compareInts(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return sign(a - b);
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Exact comparison of an integer with a float value. */
function compareIntFloat(i: number | bigint, f: number): number {
  if (typeof i === 'number' && Number.isSafeInteger(i)) return sign(i - f);
  const fl = Math.floor(f);
  const c = compareInts(i, BigInt(fl));
  if (c !== 0) return c;
  return f > fl ? -1 : 0;
}

function compareNumbers(a: Term, b: Term, exact: boolean): number {
  const af = typeof a === 'object' ? (a as { value: number }).value : null;
  const bf = typeof b === 'object' ? (b as { value: number }).value : null;
  if (af === null && bf === null) return compareInts(a as number | bigint, b as number | bigint);
  if (exact && (af === null) !== (bf === null)) return af === null ? -1 : 1;
  if (af !== null && bf !== null) return sign(af - bf);
  return af === null ? compareIntFloat(a as number | bigint, bf!) : -compareIntFloat(b as number | bigint, af);
}

function compareSeq(a: readonly Term[], b: readonly Term[], exact: boolean): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmp(a[i]!, b[i]!, exact);
    if (c !== 0) return c;
  }
  return sign(a.length - b.length);
}

function compareBits(a: Uint8Array, abits: number, b: Uint8Array, bbits: number): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return sign(a.length * 8 - (8 - abits) - (b.length * 8 - (8 - bbits)));
}

function cmp(a: Term, b: Term, exact: boolean): number {
  if (a === b) return 0;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case enum_.number:
      return compareNumbers(a, b, exact);
    case enum_.nil:
      return 0;
    case enum_.bitstring: {
      const [ab, an] = a instanceof Uint8Array ? [a, 8] : [(a as { bytes: Uint8Array }).bytes, (a as { bits: number }).bits];
      const [bb, bn] = b instanceof Uint8Array ? [b, 8] : [(b as { bytes: Uint8Array }).bytes, (b as { bits: number }).bits];
      return compareBits(ab, an, bb, bn);
    }
    case enum_.list: {
      // Lists compare element by element; an improper tail compares where the next element would.
      const ai = Array.isArray(a) ? a : (a as { items: Term[] }).items;
      const bi = Array.isArray(b) ? b : (b as { items: Term[] }).items;
      const n = Math.min(ai.length, bi.length);
      for (let i = 0; i < n; i++) {
        const c = cmp(ai[i]!, bi[i]!, exact);
        if (c !== 0) return c;
      }
      return cmp(rest(ai, n, tailOf(a)), rest(bi, n, tailOf(b)), exact);
    }
  }
  const x = a as Exclude<Term, number | bigint | Uint8Array | Term[]>;
  const y = b as typeof x;
  switch (x.t) {
    case 'atom':
      return compareStrings(x.name, (y as typeof x).name);
    case 'tuple': {
      // Tuples compare by size first, then element by element.
      const yi = (y as typeof x).items;
      return x.items.length !== yi.length ? sign(x.items.length - yi.length) : compareSeq(x.items, yi, exact);
    }
    case 'map': {
      const ym = y as typeof x;
      if (x.entries.length !== ym.entries.length) return sign(x.entries.length - ym.entries.length);
      const xs = [...x.entries].sort((p, q) => compareMapKeys(p[0], q[0]));
      const ys = [...ym.entries].sort((p, q) => compareMapKeys(p[0], q[0]));
      const c = compareSeq(
        xs.map((e) => e[0]),
        ys.map((e) => e[0]),
        true,
      );
      return c !== 0
        ? c
        : compareSeq(
            xs.map((e) => e[1]),
            ys.map((e) => e[1]),
            exact,
          );
    }
    case 'pid': {
      const p = y as typeof x;
      return compareStrings(x.node.name, p.node.name) || sign(x.serial - p.serial) || sign(x.id - p.id) || sign(x.creation - p.creation);
    }
    case 'port': {
      const p = y as typeof x;
      return compareStrings(x.node.name, p.node.name) || compareInts(x.id, p.id) || sign(x.creation - p.creation);
    }
    case 'ref': {
      const r = y as typeof x;
      const c = compareStrings(x.node.name, r.node.name) || sign(x.ids.length - r.ids.length);
      if (c !== 0) return c;
      for (let i = x.ids.length - 1; i >= 0; i--) if (x.ids[i] !== r.ids[i]) return x.ids[i]! < r.ids[i]! ? -1 : 1;
      return sign(x.creation - r.creation);
    }
    case 'export': {
      if (y.t !== 'export') return 1;
      return compareStrings(x.module.name, y.module.name) || compareStrings(x.fun.name, y.fun.name) || sign(x.arity - y.arity);
    }
    case 'fun': {
      if (y.t !== 'fun') return -1;
      return (
        compareStrings(x.module.name, y.module.name) || sign(x.index - y.index) || sign(x.oldUniq - y.oldUniq) || compareSeq(x.freeVars, y.freeVars, exact)
      );
    }
    default:
      return 0;
  }
}

function tailOf(t: Term): Term {
  return Array.isArray(t) ? [] : (t as { tail: Term }).tail;
}

/** What follows the first n items of a list: the remaining list, or its tail. */
function rest(items: Term[], n: number, tail: Term): Term {
  if (items.length === n) return tail;
  const more = items.slice(n);
  return Array.isArray(tail) ? more : { t: 'improper', items: more, tail };
}
