import { deflateSync, constants } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { InflateError, inflateZlib } from '../../src/archive/etf/zlib-inflate';

// The decoder's own inflater against zlib: every block type zlib writes (stored at level 0, fixed Huffman codes for
// short inputs and Z_FIXED, dynamic codes otherwise), long and overlapping back-references, and every way a
// stream can be wrong, with the offset named.
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
}
function sample(kind: 'random' | 'text' | 'runs' | 'empty', n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(kind === 'empty' ? 0 : n);
  const words = ['{:ok, ', '#PID<0.', '.0>', 'handle_call', ' %{count: ', '}', ', ', ':"$gen_call"'];
  for (let i = 0; i < out.length;) {
    if (kind === 'random') out[i++] = Math.floor(r() * 256);
    else if (kind === 'runs') {
      const b = Math.floor(r() * 4);
      for (let k = Math.floor(r() * 300); k > 0 && i < out.length; k--) out[i++] = b;
    } else for (const c of Buffer.from(words[Math.floor(r() * words.length)])) if (i < out.length) out[i++] = c;
  }
  return out;
}

describe('inflateZlib', () => {
  const cases: [string, Uint8Array][] = [];
  for (const kind of ['random', 'text', 'runs', 'empty'] as const)
    for (const n of [1, 100, 70_000]) cases.push([`${kind} ${n}`, sample(kind, n, n + kind.length)]);

  test.each(cases)('%s: equals the input at every level and strategy', (_, input) => {
    for (const options of [
      { level: 0 },
      { level: 1 },
      { level: 6 },
      { level: 9 },
      { level: 9, strategy: constants.Z_FIXED },
      { level: 9, strategy: constants.Z_RLE },
    ]) {
      const z = new Uint8Array(deflateSync(input, options));
      expect(Buffer.from(inflateZlib(z, input.length)).equals(Buffer.from(input))).toBe(true);
    }
  });

  const text = sample('text', 5000, 7);
  const z = new Uint8Array(deflateSync(text, { level: 9 }));
  const fails = (data: Uint8Array, size = text.length) => {
    try {
      inflateZlib(data, size);
    } catch (e) {
      expect(e).toBeInstanceOf(InflateError);
      return (e as Error).message;
    }
    throw new Error('inflated');
  };

  test('stops at the size the header states instead of inflating a bomb', () => {
    const bomb = new Uint8Array(deflateSync(new Uint8Array(50_000_000)));
    expect(bomb.length).toBeLessThan(100_000);
    expect(fails(bomb, 1000)).toMatch(/^inflates to more than the 1000 bytes its header states \(compressed byte \d+\)$/);
    expect(fails(z, text.length + 1)).toMatch(/^inflates to 5000 bytes, its header states 5001/);
  });

  test('names what is wrong and where', () => {
    expect(fails(z.subarray(0, 1))).toBe('zlib header ends early (compressed byte 0)');
    expect(fails(Uint8Array.of(0x79, ...z.subarray(1)))).toMatch(/compression method 9, expected 8/);
    expect(fails(Uint8Array.of(z[0], z[1] ^ 1, ...z.subarray(2)))).toBe('zlib header check bits are wrong (compressed byte 1)');
    expect(fails(z.subarray(0, z.length - 10))).toMatch(/^compressed data ends early \(compressed byte \d+\)$/);
    expect(fails(z.subarray(0, z.length - 2))).toMatch(/^zlib checksum missing/);
    const sum = z.slice();
    sum[sum.length - 1] ^= 1;
    expect(fails(sum)).toMatch(/^zlib checksum \(Adler-32\) does not match/);
    // block type 3 (reserved): BFINAL=1, BTYPE=11
    expect(fails(Uint8Array.of(0x78, 0x9c, 0b111))).toBe('invalid block type 3 (compressed byte 3)');
    // a stored block whose length does not match its complement
    expect(fails(Uint8Array.of(0x78, 0x01, 0b001, 5, 0, 0, 0, 1, 2, 3, 4, 5))).toMatch(/^stored block length does not match its complement/);
    // fixed codes: a back-reference (length code 257, distance code 0) before any output
    expect(fails(Uint8Array.of(0x78, 0x9c, 0x03, 0x02, 0x00), 10)).toMatch(/^distance 1 reaches before the start of the output/);
  });

  test('random corruption never hangs or returns wrong bytes unnoticed', () => {
    const r = rng(42);
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const bad = z.slice();
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) bad[2 + Math.floor(r() * (bad.length - 2))] ^= 1 << Math.floor(r() * 8);
      try {
        const out = inflateZlib(bad, text.length);
        // a flip that survives the checksum must have produced the very same bytes
        expect(Buffer.from(out).equals(Buffer.from(text))).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(InflateError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(1900);
  });
});
