import type { Term } from '../../archive/etf/term';
import { renderElixir } from '../../archive/render/elixir';
import { termEquals, termKey as keyOf } from './term-equals';

export { termEquals } from './term-equals';

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

function isMap(t: Term): t is { t: 'map'; entries: [Term, Term][] } {
  return typeof t === 'object' && t !== null && !Array.isArray(t) && !(t instanceof Uint8Array) && t.t === 'map';
}

function isTupleT(t: Term): t is { t: 'tuple'; items: Term[] } {
  return typeof t === 'object' && t !== null && !Array.isArray(t) && !(t instanceof Uint8Array) && t.t === 'tuple';
}
