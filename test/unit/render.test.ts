// Every fixture term, decoded and rendered, must print exactly as the real
// runtime printed it (test/fixtures/gen-terms.exs records inspect/1 and ~0tp).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeTerm } from '../../src/archive/etf/decode';
import { inflateNode } from '../support/inflate-node';
import { atom } from '../../src/archive/etf/term';
import type { ErlFun, Term } from '../../src/archive/etf/term';
import { compareMapKeys, compareTerms } from '../../src/archive/render/compare';
import { renderElixir } from '../../src/archive/render/elixir';
import { renderErlang } from '../../src/archive/render/erlang';
import { formatElixirFloat, formatErlangFloat } from '../../src/archive/render/float';
import type { RenderOptions } from '../../src/archive/render/options';
import { inspectStyle } from '../../src/archive/formats';

interface Fixtures {
  elixir_version: string;
  otp_release: string | number;
  local_node: string;
  node_index: Record<string, number>;
  fun_names: Record<string, string>;
  struct_fields: Record<string, string[]>;
  terms: { name: string; etf_base64: string; elixir: string; erlang: string }[];
}

const dir = new URL('../fixtures/terms/', import.meta.url);
const fx = JSON.parse(readFileSync(new URL('terms.json', dir), 'utf8')) as Fixtures;
const floats = (JSON.parse(readFileSync(new URL('floats.json', dir), 'utf8')) as { floats: [string, string, string][] }).floats;

// What the recorder knows about the traced node and a test double for what it could record.
const opts: RenderOptions = {
  localNode: fx.local_node,
  nodeIndex: (node) => fx.node_index[node] ?? -1,
  funName: (f: ErlFun) => fx.fun_names[`${f.module.name}/${f.index}/${f.oldUniq}`],
  structFields: (m) => fx.struct_fields[m],
};

const decode = (b64: string): Term => decodeTerm(new Uint8Array(Buffer.from(b64, 'base64')), 0, { inflate: inflateNode });

describe('renderElixir matches inspect/1 of Elixir 1.14', () => {
  it.each(fx.terms.map((t) => [t.name, t] as const))('%s', (_, t) => {
    expect(renderElixir(decode(t.etf_base64), opts)).toBe(t.elixir);
  });
});

describe('renderErlang matches io_lib:format("~0tp") of OTP 25', () => {
  it.each(fx.terms.map((t) => [t.name, t] as const))('%s', (_, t) => {
    expect(renderErlang(decode(t.etf_base64), opts)).toBe(t.erlang);
  });
});

// The same terms as Elixir 1.18 on OTP 27 encodes and prints them (scripts/trixie-chroot.sh terms): small maps
// in the order OTP 26+ keeps them, ~c charlists, invisible characters as \u escapes, Regex with a list of options.
const fx18 = JSON.parse(readFileSync(new URL('elixir-1.18/terms.json', dir), 'utf8')) as Fixtures;
const opts18: RenderOptions = {
  ...inspectStyle('1.18.3'),
  localNode: fx18.local_node,
  nodeIndex: (node) => fx18.node_index[node] ?? -1,
  funName: (f: ErlFun) => fx18.fun_names[`${f.module.name}/${f.index}/${f.oldUniq}`],
  structFields: (m) => fx18.struct_fields[m],
};
// Known differences, not in what the product renders: OTP 27's new reserved words in ~p (`'maybe'`, `'else'`).
const knownErlang27 = new Set(['atom reserved maybe', 'atom reserved else']);

describe('renderElixir matches inspect/1 of Elixir 1.18 on OTP 27', () => {
  it('the fixture was written by Elixir 1.18 on OTP 27', () => {
    expect([fx18.elixir_version.slice(0, 4), String(fx18.otp_release)]).toEqual(['1.18', '27']);
  });
  it.each(fx18.terms.map((t) => [t.name, t] as const))('%s', (_, t) => {
    expect(renderElixir(decode(t.etf_base64), opts18)).toBe(t.elixir);
  });
});

describe('renderErlang matches io_lib:format("~0tp") of OTP 27', () => {
  it.each(fx18.terms.filter((t) => !knownErlang27.has(t.name)).map((t) => [t.name, t] as const))('%s', (_, t) => {
    expect(renderErlang(decode(t.etf_base64), opts18)).toBe(t.erlang);
  });
});

describe('floats', () => {
  it(`all ${floats.length} corpus floats print as in Erlang and Elixir`, () => {
    const view = new DataView(new ArrayBuffer(8));
    const bad: string[] = [];
    for (const [hex, elixir, erlang] of floats) {
      view.setBigUint64(0, BigInt('0x' + hex));
      const x = view.getFloat64(0);
      if (formatElixirFloat(x) !== elixir || formatErlangFloat(x) !== erlang) bad.push(`${hex}: ${elixir} / ${erlang}`);
    }
    expect(bad).toEqual([]);
  });
});

describe('render options', () => {
  const list = [1, 2, 3, 4];
  it('limit truncates like inspect(t, limit: n)', () => {
    expect(renderElixir(list, { limit: 2 })).toBe('[1, 2, ...]');
    expect(renderElixir(list, { limit: Infinity })).toBe('[1, 2, 3, 4]');
  });
  it('charlists and sigilCharlists', () => {
    const abc = [97, 98, 99];
    expect(renderElixir(abc)).toBe("'abc'");
    expect(renderElixir(abc, { sigilCharlists: true })).toBe('~c"abc"');
    expect(renderElixir([34, 39], { sigilCharlists: true })).toBe('~c"\\"\'"');
    expect(renderElixir(abc, { charlists: 'as_lists' })).toBe('[97, 98, 99]');
    expect(renderElixir([0, 1], { charlists: 'as_charlists' })).toBe("'\\0\\x01'");
  });
  it('printableLimit', () => {
    expect(renderElixir(new Uint8Array([97, 98, 99]), { printableLimit: 2 })).toBe('"ab" <> ...');
  });
  it('pids of the local node print 0 whatever the options', () => {
    const pid: Term = { t: 'pid', node: atom('a@h'), id: 5, serial: 1, creation: 3 };
    expect(renderElixir(pid)).toBe('#PID<0.5.1>');
    expect(renderElixir(pid, { localNode: 'a@h', nodeIndex: () => 9 })).toBe('#PID<0.5.1>');
    expect(renderElixir(pid, { localNode: 'b@h', nodeIndex: () => 9 })).toBe('#PID<9.5.1>');
    expect(renderErlang(pid, { localNode: 'b@h' })).toBe('<0.5.1>');
  });
  it('funs without a name resolver omit the enclosing function', () => {
    const f = fx.terms.find((t) => t.name === 'fun identity')!;
    expect(renderElixir(decode(f.etf_base64))).toBe('#Function<1.41487221/1 in Gen.Funs>');
  });
});

describe('compareTerms', () => {
  it('orders types as Erlang does', () => {
    const order: Term[] = [
      1,
      atom('a'),
      { t: 'ref', node: atom('n'), creation: 0, ids: [1] },
      { t: 'export', module: atom('m'), fun: atom('f'), arity: 0 },
      { t: 'port', node: atom('n'), id: 1, creation: 0 },
      { t: 'pid', node: atom('n'), id: 1, serial: 0, creation: 0 },
      { t: 'tuple', items: [] },
      { t: 'map', entries: [] },
      [],
      [1],
      new Uint8Array([1]),
    ];
    for (let i = 0; i + 1 < order.length; i++) expect(compareTerms(order[i]!, order[i + 1]!)).toBe(-1);
  });
  it('numbers compare by value, but map keys put integers first', () => {
    expect(compareTerms(1, { t: 'float', value: 1 })).toBe(0);
    expect(compareTerms(2, { t: 'float', value: 1.5 })).toBe(1);
    expect(compareMapKeys(2, { t: 'float', value: 1.5 })).toBe(-1);
    expect(compareTerms(2n ** 80n, { t: 'float', value: 1e30 })).toBe(-1);
  });
});
