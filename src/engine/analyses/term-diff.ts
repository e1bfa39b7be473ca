import type { Term } from '../../archive/etf/term';
import { renderElixir } from '../../archive/render/elixir';

/**
 * A structural diff of two terms (typically two consecutive GenServer
 * states): which keys and elements were added, removed or changed, nested.
 *
 * Maps (and structs) are compared key by key, tuples of equal size and lists
 * element by element (index-wise: an element inserted at the front of a list
 * shows as every element changed plus one added at the end, which is cheap
 * and predictable). Anything else that differs is one `changed` entry at its
 * path. Equality is exact (`===` in Erlang: `1` and `1.0` differ).
 */
export type PathSegment = { kind: 'key'; key: Term } | { kind: 'index'; index: number };

export interface TermChange {
  path: PathSegment[];
  change: 'added' | 'removed' | 'changed';
  before?: Term;
  after?: Term;
}

export interface DiffOptions {
  /** Stop after this many changes (a huge state rewritten at once stays cheap). */
  maxChanges?: number;
  /** Below this depth a differing subterm is reported whole. */
  maxDepth?: number;
}

export function diffTerms(before: Term, after: Term, opts: DiffOptions = {}): TermChange[] {
  const out: TermChange[] = [];
  const max = opts.maxChanges ?? 200;
  const maxDepth = opts.maxDepth ?? 12;
  const walk = (a: Term, b: Term, path: PathSegment[]): void => {
    if (out.length >= max || termEquals(a, b)) return;
    if (path.length < maxDepth) {
      if (isMap(a) && isMap(b)) {
        const bIndex = new Map<string, [Term, Term]>();
        for (const e of b.entries) bIndex.set(keyOf(e[0]), e);
        const seen = new Set<string>();
        for (const [k, v] of a.entries) {
          const id = keyOf(k);
          seen.add(id);
          const other = bIndex.get(id);
          if (other === undefined) out.length < max && out.push({ path: [...path, { kind: 'key', key: k }], change: 'removed', before: v });
          else walk(v, other[1], [...path, { kind: 'key', key: k }]);
        }
        for (const [k, v] of b.entries) {
          if (!seen.has(keyOf(k)) && out.length < max) out.push({ path: [...path, { kind: 'key', key: k }], change: 'added', after: v });
        }
        return;
      }
      if (isTupleT(a) && isTupleT(b) && a.items.length === b.items.length) {
        a.items.forEach((x, i) => walk(x, b.items[i], [...path, { kind: 'index', index: i }]));
        return;
      }
      if (Array.isArray(a) && Array.isArray(b)) {
        const n = Math.min(a.length, b.length);
        for (let i = 0; i < n; i++) walk(a[i], b[i], [...path, { kind: 'index', index: i }]);
        for (let i = n; i < a.length && out.length < max; i++) out.push({ path: [...path, { kind: 'index', index: i }], change: 'removed', before: a[i] });
        for (let i = n; i < b.length && out.length < max; i++) out.push({ path: [...path, { kind: 'index', index: i }], change: 'added', after: b[i] });
        return;
      }
    }
    out.push({ path, change: 'changed', before: a, after: b });
  };
  walk(before, after, []);
  return out;
}

/** `[:count]`, `[:users, "bob", 2]`: keys in inspect syntax, list and tuple positions as 0-based integers; `[]` is the whole term. */
export function renderPath(path: PathSegment[]): string {
  return `[${path.map((s) => (s.kind === 'index' ? String(s.index) : renderElixir(s.key))).join(', ')}]`;
}

/** Exact term equality (Erlang `=:=`). */
export function termEquals(a: Term, b: Term): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!termEquals(a[i], b[i])) return false;
    return true;
  }
  if (a.t !== b.t) return false;
  switch (a.t) {
    case 'atom':
      return false; // interned: identity already compared
    case 'float':
      return a.value === (b as typeof a).value;
    case 'tuple':
      return listEquals(a.items, (b as typeof a).items);
    case 'improper':
      return listEquals(a.items, (b as typeof a).items) && termEquals(a.tail, (b as typeof a).tail);
    case 'map': {
      const y = b as typeof a;
      if (a.entries.length !== y.entries.length) return false;
      const idx = new Map(y.entries.map(([k, v]) => [keyOf(k), v]));
      return a.entries.every(([k, v]) => {
        const w = idx.get(keyOf(k));
        return w !== undefined && termEquals(v, w);
      });
    }
    case 'pid': {
      const y = b as typeof a;
      return a.node === y.node && a.id === y.id && a.serial === y.serial && a.creation === y.creation;
    }
    case 'port': {
      const y = b as typeof a;
      return a.node === y.node && a.id === y.id && a.creation === y.creation;
    }
    case 'ref': {
      const y = b as typeof a;
      return a.node === y.node && a.creation === y.creation && a.ids.length === y.ids.length && a.ids.every((x, i) => x === y.ids[i]);
    }
    default:
      // bitstrings, funs, exports: compare their exact rendering with no limit
      return renderElixir(a, { limit: Infinity }) === renderElixir(b, { limit: Infinity });
  }
}

function listEquals(a: Term[], b: Term[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!termEquals(a[i], b[i])) return false;
  return true;
}

/** Map keys are mostly atoms and small scalars; their full rendering identifies them. */
function keyOf(k: Term): string {
  if (typeof k === 'object' && k !== null && !Array.isArray(k) && !(k instanceof Uint8Array) && k.t === 'atom') return `a:${k.name}`;
  if (typeof k === 'number') return `n:${k}`;
  return renderElixir(k, { limit: Infinity });
}

function isMap(t: Term): t is { t: 'map'; entries: [Term, Term][] } {
  return typeof t === 'object' && t !== null && !Array.isArray(t) && !(t instanceof Uint8Array) && t.t === 'map';
}

function isTupleT(t: Term): t is { t: 'tuple'; items: Term[] } {
  return typeof t === 'object' && t !== null && !Array.isArray(t) && !(t instanceof Uint8Array) && t.t === 'tuple';
}
