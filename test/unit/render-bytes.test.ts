// renderElixirInto (terms written straight into column bytes) must give exactly the UTF-8 of renderElixir's
// text: on every fixture term and on a wide random corpus, under each set of render options ingest uses or a
// user can set.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeTerm } from '../../src/archive/etf/decode';
import { atom } from '../../src/archive/etf/term';
import type { ErlFun, Term } from '../../src/archive/etf/term';
import { elixirContext, renderElixir } from '../../src/archive/render/elixir';
import { renderElixirInto, type ByteOut } from '../../src/archive/render/elixir-bytes';
import type { RenderOptions } from '../../src/archive/render/options';
import { inflateNode } from '../support/inflate-node';
import { rng } from '../fuzz/mutate';

/** A ByteOut that starts at 4 bytes and writes after a prefix, so growing and offsets are exercised. */
class Out implements ByteOut {
  bytes = new Uint8Array(4);
  used = 2;
  reserve(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    const b = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n));
    b.set(this.bytes.subarray(0, this.used));
    this.bytes = b;
  }
}

const encoder = new TextEncoder();

/** The terms whose two renderings differ, each with both texts (empty when they all agree). */
function mismatches(terms: Term[], opts: RenderOptions): string[] {
  const c = elixirContext(opts);
  const bad: string[] = [];
  for (const t of terms) {
    const want = encoder.encode(renderElixir(t, opts));
    const out = new Out();
    renderElixirInto(t, c, out);
    const got = out.bytes.subarray(2, out.used);
    if (Buffer.compare(Buffer.from(got), Buffer.from(want)) !== 0) bad.push(`${Buffer.from(want).toString()}  !=  ${Buffer.from(got).toString()}`);
  }
  return bad;
}

const ATOMS = [
  'ok',
  'error',
  'nil',
  'true',
  'false',
  'ping',
  '$gen_call',
  'alias',
  'Elixir.Foo.Bar',
  'Elixir.foo',
  'Elixir',
  'with space',
  'a@b',
  'é',
  'ünïcödé',
  '日本',
  'foo?',
  'bar!',
  '',
  '"',
  "'",
  '\\',
  '+',
  '...',
  '%{}',
  '::',
  'a-b',
  'A',
  '_',
  '1a',
  'node@host',
  '-handle/2-fun-0-',
  '\u{1F600}',
  'Ω',
  'tab\there',
  '__struct__',
  'name',
];
const NODES = ['a@h', 'b@h', 'c@other'];

function corpus(seed: number, n: number): Term[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (max: number) => Math.floor(r() * max);
  const bytes = (len: number, f: () => number) => Uint8Array.from({ length: len }, f);
  const leaf = (): Term => {
    switch (int(17)) {
      case 0:
        return int(300);
      case 1:
        return -int(1e6);
      case 2:
        return pick([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0, 9, 10, 99, 100, 4294967295, 1e15]);
      case 3:
        return pick([2n ** 64n, -(2n ** 70n), 123456789012345678901234567890n]);
      case 4:
      case 5:
        return atom(pick(ATOMS));
      case 6:
        return { t: 'float', value: pick([0, -0, 1, 1.5, -2.25, 1e-10, 1e21, 0.1, 123456.789, Number.MAX_VALUE]) };
      case 7:
        return encoder.encode(pick(['', 'hello', 'with "quotes"', 'tab\t', 'ünï', '日本語', 'line\nbreak', 'x'.repeat(int(40))]));
      case 8:
        return bytes(int(12), () => int(256));
      case 9:
        return { t: 'bitstring', bytes: bytes(1 + int(4), () => int(256)), bits: 1 + int(7) };
      case 10:
      case 11:
        return { t: 'pid', node: atom(pick(NODES)), id: int(100000), serial: int(3), creation: int(5) };
      case 12:
        return { t: 'port', node: atom(pick(NODES)), id: pick([int(1000), 2n ** 60n]), creation: 1 };
      case 13:
      case 14:
        return { t: 'ref', node: atom(pick(NODES)), creation: 1, ids: Array.from({ length: int(6) }, () => int(2 ** 32)) };
      case 15:
        return { t: 'export', module: atom(pick(ATOMS)), fun: atom(pick(ATOMS)), arity: int(4) };
      default:
        return {
          t: 'fun',
          module: atom(pick(ATOMS)),
          arity: int(3),
          oldIndex: int(5),
          oldUniq: int(1e6),
          index: int(5),
          uniq: new Uint8Array(16),
          pid: { t: 'pid', node: atom('a@h'), id: 1, serial: 0, creation: 0 },
          freeVars: [],
        } as ErlFun;
    }
  };
  const term = (depth: number): Term => {
    if (depth <= 0 || r() < 0.3) return leaf();
    // long collections (past the default limit of 50) only at the bottom, so that terms stay small
    const len = () => (depth === 1 && r() < 0.3 ? int(60) : pick([0, 1, 2, 3, 4, int(8)]));
    switch (int(9)) {
      case 0:
      case 1:
        return { t: 'tuple', items: Array.from({ length: len() }, () => term(depth - 1)) };
      case 2:
      case 3:
        return Array.from({ length: len() }, () => term(depth - 1));
      case 4:
        // charlist-like: printable codes, sometimes with one that is not
        return Array.from({ length: 1 + int(10) }, () => (r() < 0.05 ? pick([0, 7, 200, 0x1f600]) : 32 + int(95)));
      case 5:
        // keyword-like
        return Array.from({ length: 1 + int(4) }, () => ({ t: 'tuple', items: [atom(pick(ATOMS)), term(depth - 1)] }) as Term);
      case 6:
        return { t: 'improper', items: Array.from({ length: 1 + int(3) }, () => term(depth - 1)), tail: term(depth - 1) };
      case 7:
        return {
          t: 'map',
          entries: Array.from({ length: len() }, () => [r() < 0.6 ? atom(pick(ATOMS)) : term(depth - 1), term(depth - 1)] as [Term, Term]),
        };
      default:
        // what ping-pong traces are made of
        return {
          t: 'tuple',
          items: [
            atom('$gen_call'),
            { t: 'tuple', items: [leaf(), { t: 'improper', items: [atom('alias')], tail: { t: 'ref', node: atom('a@h'), creation: 1, ids: [1, 2, 3] } }] },
            term(depth - 1),
          ],
        };
    }
  };
  return Array.from({ length: n }, () => term(5));
}

const fx = JSON.parse(readFileSync(new URL('../fixtures/terms/terms.json', import.meta.url), 'utf8')) as {
  local_node: string;
  node_index: Record<string, number>;
  fun_names: Record<string, string>;
  struct_fields: Record<string, string[]>;
  terms: { name: string; etf_base64: string }[];
};
const fixtureOpts: RenderOptions = {
  localNode: fx.local_node,
  nodeIndex: (node) => fx.node_index[node] ?? -1,
  funName: (f: ErlFun) => fx.fun_names[`${f.module.name}/${f.index}/${f.oldUniq}`],
  structFields: (m) => fx.struct_fields[m],
};

const OPTIONS: [string, RenderOptions][] = [
  ['defaults', {}],
  ['the fixtures\u2019 node table', fixtureOpts],
  ['a remote node with index 3', { localNode: 'a@h', nodeIndex: () => 3 }],
  ['limit 3', { limit: 3 }],
  ['limit 0', { limit: 0 }],
  ['limit Infinity', { limit: Infinity }],
  ['printableLimit 2', { printableLimit: 2 }],
  ['charlists as lists', { charlists: 'as_lists' }],
  ['charlists as charlists', { charlists: 'as_charlists' }],
  ['sigil charlists', { sigilCharlists: true }],
];

describe('renderElixirInto writes the bytes of renderElixir', () => {
  it('on every fixture term', () => {
    const terms = fx.terms.map((t) => decodeTerm(new Uint8Array(Buffer.from(t.etf_base64, 'base64')), 0, { inflate: inflateNode }));
    expect(terms.length).toBeGreaterThan(100);
    for (const [, opts] of OPTIONS) expect(mismatches(terms, opts)).toEqual([]);
  });
  it.each(OPTIONS.map(([name, opts], i) => [name, opts, i] as const))('on 3,000 random terms, %s', (_, opts, i) => {
    expect(mismatches(corpus(1000 + i, 3000), opts)).toEqual([]);
  });
});
