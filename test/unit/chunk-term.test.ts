// An archive chunk's payload table read as byte ranges (src/archive/otpscope/chunk-term.ts) against the chunk
// decoded as one term, on every chunk of the real archives; and decodeTermIn, which decodes a payload from its
// range, against decodeTerm of the payload's own bytes, on real terms, their truncations and corruptions.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeTerm, decodeTermIn, EtfError } from '../../src/archive/etf/decode';
import { atom, type ErlMap, type Term } from '../../src/archive/etf/term';
import { chunkWithTermTable, TERMS_IN_TABLE } from '../../src/archive/otpscope/chunk-term';
import { readZip } from '../../src/archive/zip';
import { encodeTerm } from '../fuzz/etf-encode';

const archives = ['archives', 'scenarios'].flatMap((d) =>
  readdirSync(new URL(`../fixtures/${d}/`, import.meta.url))
    .filter((f) => f.endsWith('.zip'))
    .map((f) => new URL(`../fixtures/${d}/${f}`, import.meta.url)),
);

async function chunksOf(url: URL): Promise<Uint8Array[]> {
  const zip = readZip(new Uint8Array(readFileSync(url)), 'fixture');
  return Promise.all(zip.entries.filter((e) => /^events\/\d+\.etf$/.test(e.name)).map((e) => e.data()));
}

/** The error decoding throws, as [message, offset], or the term. */
function outcome(f: () => Term): Term | [string, number] {
  try {
    return f();
  } catch (e) {
    if (e instanceof EtfError) return [e.message, e.offset];
    throw e;
  }
}

describe('chunkWithTermTable', () => {
  it('reads every chunk of every fixture archive as the generic decoder does, the payloads as their byte ranges', async () => {
    let chunks = 0;
    for (const url of archives) {
      for (const raw of await chunksOf(url)) {
        const whole = decodeTerm(raw) as ErlMap;
        const fast = chunkWithTermTable(raw);
        expect(fast, url.pathname).not.toBeNull();
        const { map, table } = fast!;
        const terms = whole.entries.find(([k]) => k === atom('terms'))![1] as Uint8Array[];
        expect(map.entries.map(([k, v]) => [k, k === atom('terms') ? terms : v])).toEqual(whole.entries);
        expect(map.entries.find(([k]) => k === atom('terms'))![1]).toBe(TERMS_IN_TABLE);
        expect(table.bytes).toBe(raw);
        expect(table.start.length).toBe(terms.length);
        terms.forEach((b, i) => {
          expect(table.start[i]).toBe(b.byteOffset - raw.byteOffset);
          expect(table.end[i]).toBe(b.byteOffset - raw.byteOffset + b.length);
        });
        chunks++;
      }
    }
    expect(chunks).toBeGreaterThan(30);
  });

  it('leaves anything not shaped as the writer writes it to the generic decoder', async () => {
    const [raw] = await chunksOf(archives.find((u) => u.pathname.endsWith('/demo.zip'))!);
    const chunk = decodeTerm(raw, 0, { copyBinaries: true }) as ErlMap;
    const withTerms = (terms: Term | undefined) =>
      encodeTerm({
        t: 'map',
        entries: [...chunk.entries.filter(([k]) => k !== atom('terms')), ...(terms === undefined ? [] : [[atom('terms'), terms] as [Term, Term]])],
      });
    expect(chunkWithTermTable(withTerms([new Uint8Array([131, 97, 1]), 7]))).toBeNull();
    expect(chunkWithTermTable(withTerms({ t: 'improper', items: [new Uint8Array([131, 97, 1])], tail: new Uint8Array(0) }))).toBeNull();
    expect(chunkWithTermTable(withTerms([]))).toBeNull();
    expect(chunkWithTermTable(withTerms(undefined))).toBeNull();
    expect(chunkWithTermTable(encodeTerm([chunk]))).toBeNull();
    for (let n = 0; n < raw.length; n += Math.max(1, raw.length >> 8)) expect(chunkWithTermTable(raw.subarray(0, n))).toBeNull();
    const one = chunkWithTermTable(withTerms([new Uint8Array([131, 97, 1])]))!.table;
    expect(decodeTermIn(one.bytes, one.start[0], one.end[0])).toBe(1);
  });
});

describe('decodeTermIn', () => {
  const fx = JSON.parse(readFileSync(new URL('../fixtures/terms/terms.json', import.meta.url), 'utf8')) as { terms: { name: string; etf_base64: string }[] };
  const terms = fx.terms.map((t) => new Uint8Array(Buffer.from(t.etf_base64, 'base64'))).filter((b) => b[1] !== 80);
  // A term between other bytes: a compressed-term tag and a huge length right after it, so that reading past the range shows.
  const between = (b: Uint8Array): Uint8Array => Uint8Array.from([131, 80, 0xff, ...b, 80, 0xff, 0xff, 0xff, 0xff, 131, 97]);

  it('decodes each fixture term from its range as decodeTerm does from its own bytes', () => {
    for (const b of terms) {
      const buf = between(b);
      expect(decodeTermIn(buf, 3, 3 + b.length)).toEqual(decodeTerm(b));
    }
  });

  it('throws the same error at the same offset for every truncation and for seeded corruptions', () => {
    let seed = 0x9e3779b9;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    let failures = 0;
    for (const b of terms.filter((t) => t.length < 400)) {
      for (let n = 0; n <= b.length; n++) {
        const part = b.slice(0, n);
        const want = outcome(() => decodeTerm(part));
        if (Array.isArray(want) && typeof want[0] === 'string') failures++;
        expect(outcome(() => decodeTermIn(between(part), 3, 3 + n))).toEqual(want);
      }
      for (let k = 0; k < 20; k++) {
        const bad = b.slice();
        bad[rand(bad.length)] = rand(256);
        expect(outcome(() => decodeTermIn(between(bad), 3, 3 + bad.length))).toEqual(outcome(() => decodeTerm(bad)));
      }
    }
    expect(failures).toBeGreaterThan(1000);
  });
});
