// The ETF decoder against terms written by the real BEAM
// (test/fixtures/gen-terms.exs), plus corrupt input: every failure must be an
// EtfError, promptly, without allocating from bogus lengths.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeTerm, decodeTermAt, EtfError } from '../../src/archive/etf/decode';
import { inflateNode } from '../support/inflate-node';
import { atom } from '../../src/archive/etf/term';
import type { ErlFun, ErlMap, ErlPid, ErlPort, ErlRef, ErlTuple, Term } from '../../src/archive/etf/term';

interface Fixture {
  name: string;
  etf_base64: string;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/terms/terms.json', import.meta.url), 'utf8')) as { terms: Fixture[] };
const bytesOf = (name: string): Uint8Array => {
  const f = fx.terms.find((t) => t.name === name);
  if (!f) throw new Error(`no fixture ${name}`);
  return new Uint8Array(Buffer.from(f.etf_base64, 'base64'));
};
const opts = { inflate: inflateNode };
const dec = (name: string): Term => decodeTerm(bytesOf(name), 0, opts);
const float = (value: number): Term => ({ t: 'float', value });
const tuple = (...items: Term[]): ErlTuple => ({ t: 'tuple', items });

function etfError(f: () => unknown): EtfError {
  try {
    f();
  } catch (e) {
    if (e instanceof EtfError) return e;
    throw new Error(`expected EtfError, got ${String(e)}`);
  }
  throw new Error('expected EtfError, decoded fine');
}

describe('decodes every fixture', () => {
  it.each(fx.terms.map((t) => [t.name, t] as const))('%s', (_, t) => {
    const bytes = new Uint8Array(Buffer.from(t.etf_base64, 'base64'));
    const { end } = decodeTermAt(bytes, 0, opts);
    expect(end).toBe(bytes.length);
  });
});

describe('exact values', () => {
  it('integers at every encoding boundary', () => {
    expect(dec('small int 255')).toBe(255);
    expect(dec('int 256')).toBe(256);
    expect(dec('int -1')).toBe(-1);
    expect(dec('int -2^31')).toBe(-(2 ** 31));
    expect(dec('int 2^31')).toBe(2 ** 31);
    expect(dec('int -2^31-1')).toBe(-(2 ** 31) - 1);
    expect(dec('int 2^53-1')).toBe(2 ** 53 - 1);
    expect(dec('int 2^53')).toBe(2n ** 53n);
    expect(dec('int -(2^53+1)')).toBe(-(2n ** 53n + 1n));
    expect(dec('int 2^64')).toBe(2n ** 64n);
    expect(dec('bignum 2^2048 (large big)')).toBe(2n ** 2048n);
    expect(dec('bignum -10^700')).toBe(-(10n ** 700n));
    expect(dec('SMALL_BIG small value')).toBe(5);
    expect(dec('SMALL_BIG negative zero-padded')).toBe(-1);
    expect(dec('LARGE_BIG small value')).toBe(256);
  });

  it('floats, new and old encodings', () => {
    expect(dec('float -0.0')).toEqual(float(-0));
    expect(Object.is((dec('float -0.0') as { value: number }).value, -0)).toBe(true);
    expect(dec('float 0.1+0.2')).toEqual(float(0.1 + 0.2));
    expect(dec('float min subnormal')).toEqual(float(5e-324));
    expect(dec('minor_version 0 float 0.1')).toEqual(float(0.1));
    expect(dec('minor_version 0 float 5.0e-324')).toEqual(float(5e-324));
    expect(dec('FLOAT_EXT (old string float)')).toEqual(float(1.5));
  });

  it('atoms are interned, Latin-1 and UTF-8 alike', () => {
    expect(dec('atom ok')).toBe(atom('ok'));
    expect(dec('atom alias')).toBe(atom('Elixir.Foo.Bar.Baz'));
    expect(dec('atom cjk')).toBe(atom('日本'));
    expect(dec('atom emoji')).toBe(atom('🎉'));
    expect(dec('ATOM_EXT latin1')).toBe(atom('café'));
    expect(dec('SMALL_ATOM_EXT latin1')).toBe(atom('naïve'));
    expect(dec('ATOM_UTF8_EXT (2-byte length)')).toBe(atom('oké'));
    expect(dec('minor_version 1 atoms (ATOM_EXT)')).toEqual([atom('ok'), atom('héllo'), atom('日本'), atom('Elixir.Foo')]);
  });

  it('lists, strings and improper lists', () => {
    expect(dec('empty list')).toEqual([]);
    expect(dec('charlist abc')).toEqual([97, 98, 99]);
    expect(dec('improper list')).toEqual({ t: 'improper', items: [1], tail: 2 });
    expect(dec('improper list long')).toEqual({ t: 'improper', items: [1, 2, 3], tail: atom('tail') });
    expect(dec('LIST_EXT with LIST_EXT tail')).toEqual([1, 2]);
    expect(dec('LIST_EXT with STRING_EXT tail')).toEqual([1, 104, 105]);
    expect(dec('list of 1000 ints')).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(dec('keyword')).toEqual([tuple(atom('a'), 1), tuple(atom('b'), new Uint8Array([116, 119, 111])), tuple(atom('c'), [tuple(atom('d'), atom('e'))])]);
  });

  it('binaries and bitstrings', () => {
    expect(dec('binary hello')).toEqual(new Uint8Array([104, 101, 108, 108, 111]));
    expect(dec('empty binary')).toEqual(new Uint8Array(0));
    expect(dec('bitstring 1 byte + 4 bits')).toEqual({ t: 'bitstring', bytes: new Uint8Array([1, 0x20]), bits: 4 });
    expect(dec('BIT_BINARY full byte')).toEqual(new Uint8Array([1, 2]));
  });

  it('binaries are views of the input unless copyBinaries is set', () => {
    const bytes = bytesOf('binary hello');
    const view = decodeTerm(bytes) as Uint8Array;
    expect(view.buffer).toBe(bytes.buffer);
    const copy = decodeTerm(bytes, 0, { copyBinaries: true }) as Uint8Array;
    expect(copy.buffer).not.toBe(bytes.buffer);
    expect(copy).toEqual(view);
  });

  it('tuples and maps', () => {
    expect(dec('tuple empty')).toEqual(tuple());
    expect(dec('tuple ok')).toEqual(tuple(atom('ok'), 1));
    expect((dec('tuple 300 (LARGE_TUPLE)') as ErlTuple).items).toHaveLength(300);
    expect(dec('map atom keys')).toEqual({
      t: 'map',
      entries: [
        [atom('a'), 1],
        [atom('b'), 2],
      ],
    });
    expect((dec('map 100 string keys') as ErlMap).entries).toHaveLength(100);
    expect((dec('compressed map') as ErlMap).entries).toHaveLength(200);
  });

  it('pids, ports and references, local and remote', () => {
    const remote = dec('NEW_PID_EXT remote') as ErlPid;
    expect(remote).toEqual({ t: 'pid', node: atom('other@host'), id: 7, serial: 0, creation: 9 });
    expect(dec('PID_EXT (old, 1-byte creation)')).toEqual({ t: 'pid', node: atom('other@host'), id: 42, serial: 3, creation: 1 });
    expect((dec('pid self') as ErlPid).node).toBe(atom('nonode@nohost'));
    expect(dec('V4_PORT_EXT remote 64-bit id')).toEqual({ t: 'port', node: atom('other@host'), id: 2 ** 32 + 5, creation: 9 });
    expect((dec('V4_PORT_EXT remote huge id') as ErlPort).id).toBe(0x7fffffffffffffn);
    expect((dec('PORT_EXT (old)') as ErlPort).creation).toBe(1);
    expect(dec('REFERENCE_EXT (old)')).toEqual({ t: 'ref', node: atom('other@host'), creation: 1, ids: [5] });
    expect(dec('NEWER_REFERENCE_EXT remote 5 words')).toEqual({ t: 'ref', node: atom('other@host'), creation: 9, ids: [1, 2, 3, 4, 5] });
    expect((dec('ref') as ErlRef).ids).toHaveLength(3);
  });

  it('funs and exports', () => {
    expect(dec('export Enum.map/2')).toEqual({ t: 'export', module: atom('Elixir.Enum'), fun: atom('map'), arity: 2 });
    const f = dec('fun closure') as ErlFun;
    expect(f.module).toBe(atom('Elixir.Gen.Funs'));
    expect(f.arity).toBe(1);
    expect(f.uniq).toHaveLength(16);
    expect(f.freeVars).toEqual([atom('a'), [1, 2]]);
    expect((f.pid as ErlPid).t).toBe('pid');
  });

  it('old FUN_EXT (no arity in the encoding)', () => {
    // 117 | NumFree=1 | Pid | Module | Index | Uniq | FreeVar
    const bytes = new Uint8Array([131, 117, 0, 0, 0, 1, 88, 119, 1, 110, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 119, 1, 109, 97, 3, 98, 0, 0, 1, 0, 97, 9]);
    const f = decodeTerm(bytes) as ErlFun;
    expect(f).toMatchObject({ t: 'fun', module: atom('m'), arity: -1, index: 3, oldIndex: 3, oldUniq: 256, freeVars: [9] });
  });

  it('LOCAL_EXT decodes the term after its hash', () => {
    expect(decodeTerm(new Uint8Array([131, 121, 1, 2, 3, 4, 5, 6, 7, 8, 97, 5]))).toBe(5);
  });

  it('ATOM_CACHE_REF needs the atom cache', () => {
    const bytes = new Uint8Array([131, 104, 2, 82, 1, 82, 0]);
    expect(etfError(() => decodeTerm(bytes)).message).toMatch(/ATOM_CACHE_REF_EXT at offset 3 needs/);
    expect(decodeTerm(bytes, 0, { atomCache: [atom('x'), atom('y')] })).toEqual(tuple(atom('y'), atom('x')));
    expect(etfError(() => decodeTerm(bytes, 0, { atomCache: [atom('x')] })).message).toMatch(/empty cache slot 1/);
  });

  it('compressed terms decode with the built-in inflater, as with Node zlib', () => {
    const bytes = bytesOf('compressed long list');
    expect(decodeTerm(bytes)).toEqual(Array(500).fill(atom('hello')));
    expect(decodeTerm(bytes, 0, opts)).toEqual(Array(500).fill(atom('hello')));
    const corrupt = bytes.slice();
    corrupt[12] ^= 0xff;
    expect(etfError(() => decodeTerm(corrupt)).message).toMatch(/compressed term at offset 1 does not inflate: .*\(compressed byte \d+\)/);
    const bad = bytes.slice();
    bad[10] ^= 0xff;
    etfError(() => decodeTerm(bad, 0, opts));
    const wrongSize = bytes.slice();
    wrongSize[5] += 1;
    expect(etfError(() => decodeTerm(wrongSize, 0, opts)).message).toMatch(/inflated to|does not inflate/);
    expect(etfError(() => decodeTerm(bytes, 0, { ...opts, maxInflatedSize: 100 })).message).toMatch(/more than the 100 allowed/);
  });

  it('decodeTermAt walks concatenated terms', () => {
    const a = bytesOf('tuple ok');
    const b = bytesOf('binary hello');
    const both = new Uint8Array([...a, ...b]);
    const first = decodeTermAt(both, 0);
    expect(first.end).toBe(a.length);
    expect(decodeTermAt(both, first.end).term).toEqual(new Uint8Array([104, 101, 108, 108, 111]));
  });

  it('nesting a million deep does not touch the JS stack', () => {
    const depth = 1_000_000;
    const bytes = new Uint8Array(1 + 2 * depth + 1);
    bytes[0] = 131;
    for (let i = 0; i < depth; i++) bytes.set([104, 1], 1 + 2 * i);
    bytes[bytes.length - 1] = 106;
    let t = decodeTerm(bytes);
    let n = 0;
    while (!Array.isArray(t)) {
      t = (t as ErlTuple).items[0]!;
      n++;
    }
    expect(n).toBe(depth);
  });
  // Regression test for super-quadratic decoding of lists nested in list tails (LIST_EXT of length 1 whose
  // tail is again a LIST_EXT...): 36 s at 280 KB in one uncancellable call. Each level now continues the outer list.
  it('lists nested in list tails decode as one list, as binary_to_term reads them', () => {
    // binary_to_term(<<131,108,0,0,0,1,97,1,108,0,0,0,2,97,2,97,3,100,0,3,"foo">>) =:= [1,2,3|foo] on OTP 25
    const foo = new TextEncoder().encode('foo');
    expect(decodeTerm(new Uint8Array([131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 2, 97, 2, 97, 3, 100, 0, 3, ...foo]))).toEqual({
      t: 'improper',
      items: [1, 2, 3],
      tail: atom('foo'),
    });
    // binary_to_term(<<131,108,0,0,0,1,97,1,108,0,0,0,0,107,0,2,5,6>>) =:= [1,5,6]: an empty LIST_EXT and a STRING_EXT tail
    expect(decodeTerm(new Uint8Array([131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 0, 107, 0, 2, 5, 6]))).toEqual([1, 5, 6]);
    // A list in an element (not the tail) is still its own list.
    expect(decodeTerm(new Uint8Array([131, 108, 0, 0, 0, 1, 108, 0, 0, 0, 1, 97, 7, 106, 106]))).toEqual([[7]]);
  });

  it('200,000 lists nested in list tails (1.4 MB) decode to one list of 200,000 elements', () => {
    const depth = 200_000;
    const bytes = new Uint8Array(1 + 7 * depth + 1);
    bytes[0] = 131;
    for (let i = 0; i < depth; i++) bytes.set([108, 0, 0, 0, 1, 97, i & 0xff], 1 + 7 * i);
    bytes[bytes.length - 1] = 106;
    const t = decodeTerm(bytes) as number[];
    expect(Array.isArray(t)).toBe(true);
    expect(t.length).toBe(depth);
    expect(t.every((x, i) => x === (i & 0xff))).toBe(true);
  });
});

describe('corrupt input', () => {
  it('reports what was expected and where', () => {
    const e = etfError(() => decodeTerm(new Uint8Array([131, 104, 1, 98, 0, 0])));
    expect(e.message).toBe('ETF: expected 4 bytes for INTEGER_EXT at offset 4, only 2 left');
    expect(e.offset).toBe(4);
    expect(etfError(() => decodeTerm(new Uint8Array([131, 104, 1, 7]))).message).toBe('ETF: unknown tag 7 at offset 3');
    expect(etfError(() => decodeTerm(new Uint8Array([130, 97, 1]))).message).toMatch(/expected version byte 131 at offset 0, found 130/);
    expect(etfError(() => decodeTerm(new Uint8Array([131, 118, 0, 2, 0xc3, 0x28]))).message).toMatch(/invalid UTF-8 in atom at offset 1/);
    expect(etfError(() => decodeTerm(new Uint8Array([131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]))).message).toMatch(/not finite/);
  });

  it('every truncation of a fixture throws EtfError', () => {
    const names = [
      'trace-like send',
      'map term-order keys',
      'fun closure',
      'struct DateTime zone',
      'NEWER_REFERENCE_EXT remote 5 words',
      'bignum -10^700',
      'improper list long',
      'V4_PORT_EXT remote 64-bit id',
      'minor_version 0 float list',
      'compressed map',
    ];
    for (const name of names) {
      const bytes = bytesOf(name);
      for (let n = 0; n < bytes.length; n++) etfError(() => decodeTerm(bytes.subarray(0, n)));
    }
  });

  it('bogus huge lengths fail without allocating', () => {
    const huge = [0xff, 0xff, 0xff, 0xff];
    const cases = [
      [108, ...huge], // LIST_EXT
      [105, ...huge], // LARGE_TUPLE_EXT
      [116, ...huge], // MAP_EXT
      [109, ...huge], // BINARY_EXT
      [77, ...huge, 3], // BIT_BINARY_EXT
      [111, ...huge, 0], // LARGE_BIG_EXT
      [107, 0xff, 0xff, 97], // STRING_EXT
      [118, 0xff, 0xff, 97], // ATOM_UTF8_EXT
      [112, ...huge], // NEW_FUN_EXT
      [117, ...huge], // FUN_EXT free vars
      [90, 0xff, 0xff], // NEWER_REFERENCE_EXT words
      [80, ...huge, 0x78, 0x9c], // COMPRESSED_EXT
    ];
    for (const c of cases) {
      const e = etfError(() => decodeTerm(new Uint8Array([131, ...c]), 0, opts));
      expect(e.offset).toBeGreaterThan(0);
    }
  });

  it('seeded random corruption never hangs or throws anything but EtfError', () => {
    let seed = 0x2545f491;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pool = fx.terms.map((t) => new Uint8Array(Buffer.from(t.etf_base64, 'base64'))).filter((b) => b.length < 2000);
    let decoded = 0;
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      const bytes = pool[rand(pool.length)]!.slice();
      const flips = 1 + rand(4);
      for (let f = 0; f < flips; f++) {
        const at = 1 + rand(bytes.length - 1);
        bytes[at] = rand(3) === 0 ? [0, 0xff, 0x7f, 1][rand(4)]! : rand(256);
      }
      try {
        decodeTerm(bytes, 0, opts);
        decoded++;
      } catch (e) {
        if (!(e instanceof EtfError)) throw new Error(`iteration ${i}: ${String(e)} for ${Buffer.from(bytes).toString('base64')}`);
        rejected++;
      }
    }
    expect(decoded + rejected).toBe(5000);
    expect(rejected).toBeGreaterThan(1000);
    // (A decode that never ends fails on the runner's test timeout: no wall-clock bound here, the machine may be busy.)
  });
});
