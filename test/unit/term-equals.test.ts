import { describe, expect, it } from 'vitest';
import { decodeTerm } from '../../src/archive/etf/decode';
import { atom, type Term } from '../../src/archive/etf/term';
import { diffTerms, renderPath } from '../../src/engine/analyses/term-diff';
import { termEquals, termKey } from '../../src/engine/analyses/term-equals';

/** `{:s, {:s, ... {:s, leaf}}}` nested `depth` deep, decoded from ETF as a trace would hand it over. */
function deepTuple(depth: number, leaf: number): Term {
  const bytes = new Uint8Array(1 + depth * 5 + 2);
  bytes[0] = 131;
  for (let i = 0; i < depth; i++) bytes.set([104, 2, 119, 1, 115], 1 + 5 * i); // {s, ...}
  bytes.set([97, leaf], 1 + 5 * depth);
  return decodeTerm(bytes);
}

/** `[[[...[leaf]...]]]` nested `depth` deep. */
function deepList(depth: number, leaf: number): Term {
  let t: Term = [leaf];
  for (let i = 0; i < depth; i++) t = [t];
  return t;
}

const map = (...entries: [Term, Term][]): Term => ({ t: 'map', entries });
const tuple = (...items: Term[]): Term => ({ t: 'tuple', items });

describe('termEquals', () => {
  it('is Erlang =:= on the shapes a state holds', () => {
    expect(termEquals(1, 1)).toBe(true);
    expect(termEquals(1, { t: 'float', value: 1 })).toBe(false);
    expect(termEquals(map([atom('a'), 1], [atom('b'), [2]]), map([atom('b'), [2]], [atom('a'), 1]))).toBe(true);
    expect(termEquals(map([atom('a'), 1]), map([atom('a'), 2]))).toBe(false);
    expect(termEquals(map([tuple(1, 2), 1]), map([tuple(1, 2), 1]))).toBe(true);
    expect(termEquals(map([tuple(1, 2), 1]), map([tuple(2, 1), 1]))).toBe(false);
    expect(termEquals({ t: 'improper', items: [1], tail: atom('x') }, { t: 'improper', items: [1], tail: atom('y') })).toBe(false);
    expect(termEquals(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(termEquals(new Uint8Array([1, 2]), [1, 2])).toBe(false);
    expect(termEquals({ t: 'bitstring', bytes: new Uint8Array([128]), bits: 1 }, { t: 'bitstring', bytes: new Uint8Array([128]), bits: 2 })).toBe(false);
    const pid: Term = { t: 'pid', node: atom('n@h'), id: 1, serial: 0, creation: 0 };
    const fun = (freeVars: Term[]): Term => ({
      t: 'fun',
      module: atom('m'),
      arity: 0,
      oldIndex: 0,
      oldUniq: 1,
      index: 0,
      uniq: new Uint8Array(16),
      pid,
      freeVars,
    });
    expect(termEquals(fun([1]), fun([1]))).toBe(true);
    expect(termEquals(fun([1]), fun([2]))).toBe(false); // the closure's captured values are part of the fun
  });

  // Regression test: two deep consecutive states threw RangeError (Maximum call stack size exceeded)
  // in termEquals/listEquals, and the whole file was rejected with that bare message.
  it('compares terms nested 100,000 deep (ten times what recursion survives) without touching the JS stack', () => {
    const depth = 100_000;
    expect(termEquals(deepTuple(depth, 1), deepTuple(depth, 1))).toBe(true);
    expect(termEquals(deepTuple(depth, 1), deepTuple(depth, 2))).toBe(false);
    expect(termEquals(deepList(depth, 1), deepList(depth, 1))).toBe(true);
    expect(termEquals(deepList(depth, 1), deepList(depth, 2))).toBe(false);
    expect(termEquals(map([atom('k'), deepList(depth, 1)]), map([atom('k'), deepList(depth, 1)]))).toBe(true);
    // A deep map key: its identity string is built without recursion as well.
    expect(termEquals(map([deepTuple(depth, 1), 0]), map([deepTuple(depth, 1), 0]))).toBe(true);
    expect(termEquals(map([deepTuple(depth, 1), 0]), map([deepTuple(depth, 2), 0]))).toBe(false);
  });

  it('termKey tells apart terms that are not =:= and agrees on those that are', () => {
    const keys = [
      1,
      { t: 'float', value: 1 },
      atom('1'),
      new Uint8Array([49]),
      [49],
      tuple(1),
      tuple(tuple(1)),
      [[1]],
      tuple(atom('a'), atom('bc')),
      tuple(atom('ab'), atom('c')),
    ].map((t) => termKey(t as Term));
    expect(new Set(keys).size).toBe(keys.length);
    expect(termKey(tuple(1, [2, new Uint8Array([3])]))).toBe(termKey(tuple(1, [2, new Uint8Array([3])])));
  });
});

describe('diffTerms on deep states', () => {
  it('reports the change in two deep consecutive states instead of overflowing the stack', () => {
    const before = map([atom('count'), 1], [atom('tree'), deepTuple(200_000, 1)]);
    const after = map([atom('count'), 2], [atom('tree'), deepTuple(200_000, 2)]);
    const changes = diffTerms(before, after);
    expect(changes.map((c) => [renderPath(c.path), c.change])).toEqual([
      ['[:count]', 'changed'],
      ['[:tree, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]', 'changed'],
    ]);
    expect(diffTerms(before, map([atom('count'), 1], [atom('tree'), deepTuple(200_000, 1)]))).toEqual([]);
  });
});
