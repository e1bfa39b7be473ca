/**
 * Deterministic hostile variants of the committed fixtures: input `i` of
 * reader `r` under seed `s` is always the same bytes, so a finding is
 * reproduced by its three numbers (`npm run fuzz -- --only r:i --seed s`).
 *
 * Mutations: bit flips, interesting bytes and 32-bit words, truncation, cut,
 * duplicated and inserted spans; for archives also mutations inside an
 * entry's inflated bytes (re-deflated with a correct CRC, so they reach the
 * ETF decoder and the chunk reader), lying zip headers, a missing central
 * directory, deflate bombs and crafted ETF in a chunk's term table; for
 * trace-port files lying frame headers and frames of crafted ETF.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readZip } from '../../src/archive/zip';
import { buildZip, deflatedEntry, zeroBomb, type CraftEntry } from './craft-zip';
import { decodeTerm } from '../../src/archive/etf/decode';
import { encodeTerm } from './etf-encode';
import type { ErlMap, Term } from '../../src/archive/etf/term';
import { atom } from '../../src/archive/etf/term';

export type ReaderKind = 'otpscope' | 'dbg' | 'ttb';
export const READERS: ReaderKind[] = ['otpscope', 'dbg', 'ttb'];

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

export interface FuzzInput {
  reader: ReaderKind;
  index: number;
  /** What was done to which seed, for the report. */
  recipe: string;
  files: NamedBytes[];
}

const fixtures = fileURLToPath(new URL('../fixtures', import.meta.url));

/** The seeds: every committed archive, dbg trace (single files and the wrap set) and ttb upload folder. */
export function loadSeeds(): Record<ReaderKind, NamedBytes[][]> {
  const read = (dir: string, name: string): NamedBytes => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) });
  const archives = path.join(fixtures, 'archives');
  const dbg = path.join(fixtures, 'dbg');
  const dbgFiles = readdirSync(dbg).filter((f) => f.endsWith('.trace'));
  const ttb = path.join(fixtures, 'ttb');
  return {
    otpscope: readdirSync(archives)
      .filter((f) => f.endsWith('.zip'))
      .sort()
      .map((f) => [read(archives, f)]),
    dbg: [
      ...dbgFiles
        .filter((f) => !f.startsWith('wrap-'))
        .sort()
        .map((f) => [read(dbg, f)]),
      dbgFiles
        .filter((f) => f.startsWith('wrap-'))
        .sort()
        .map((f) => read(dbg, f)),
    ],
    ttb: readdirSync(ttb, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
      .map((d) =>
        readdirSync(path.join(ttb, d))
          .sort()
          .map((f) => read(path.join(ttb, d), f)),
      ),
  };
}

/** mulberry32: small, fast, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];
const INTERESTING8 = [0, 1, 0x7f, 0x80, 0xff, 131, 104, 106, 108, 116, 80];
const INTERESTING32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffe, 0x10000, 1 << 24];

/** One byte-level mutation of `b`; returns the new bytes and what was done. */
export function mutateBytes(r: Rand, b: Uint8Array): [Uint8Array, string] {
  if (b.length === 0) return [Uint8Array.of(int(r, 256)), 'insert into empty'];
  const at = int(r, b.length);
  switch (int(r, 8)) {
    case 0: {
      const out = b.slice();
      const n = 1 + int(r, 4);
      for (let i = 0; i < n; i++) out[int(r, out.length)] ^= 1 << int(r, 8);
      return [out, `flip ${n} bits`];
    }
    case 1: {
      const out = b.slice();
      out[at] = pick(r, INTERESTING8);
      return [out, `byte ${at} = ${out[at]}`];
    }
    case 2: {
      const out = b.slice();
      const v = pick(r, [...INTERESTING32, b.length, b.length - at, b.length + 1]) >>> 0;
      const p = Math.min(at, Math.max(0, out.length - 4));
      new DataView(out.buffer).setUint32(p, v, r() < 0.5);
      return [out, `word ${p} = ${v}`];
    }
    case 3:
      return [b.slice(0, at), `truncate at ${at}`];
    case 4: {
      const n = 1 + int(r, Math.min(64, b.length - at));
      const out = new Uint8Array(b.length - n);
      out.set(b.subarray(0, at));
      out.set(b.subarray(at + n), at);
      return [out, `cut ${n} at ${at}`];
    }
    case 5: {
      const n = 1 + int(r, Math.min(256, b.length - at));
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, at + n));
      out.set(b.subarray(at), at + n);
      return [out, `duplicate ${n} at ${at}`];
    }
    case 6: {
      const n = 1 + int(r, 16);
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, at));
      for (let i = 0; i < n; i++) out[at + i] = int(r, 256);
      out.set(b.subarray(at), at + n);
      return [out, `insert ${n} random at ${at}`];
    }
    default: {
      const n = 1 + int(r, 32);
      const out = b.slice();
      for (let i = 0; i < n && at + i < out.length; i++) out[at + i] = int(r, 256);
      return [out, `scramble ${n} at ${at}`];
    }
  }
}

/** A crafted ETF term body (no version byte): the shapes that hurt decoders. */
export function craftedEtf(r: Rand): [Uint8Array, string] {
  const depth = 1 + int(r, 20_000);
  switch (int(r, 9)) {
    case 0: {
      // [x | [x | [x | ...]]] as nested LIST_EXT in the tail
      const out = new Uint8Array(7 * depth + 1);
      for (let i = 0; i < depth; i++) out.set([108, 0, 0, 0, 1, 97, i & 0xff], 7 * i);
      out[7 * depth] = r() < 0.5 ? 106 : 97;
      return [out, `${depth} lists nested in tails`];
    }
    case 1: {
      const out = new Uint8Array(2 * depth + 1);
      for (let i = 0; i < depth; i++) out.set([104, 1], 2 * i);
      out[2 * depth] = 106;
      return [out, `${depth} tuples deep`];
    }
    case 2: {
      const out = new Uint8Array(6 * depth + 1);
      for (let i = 0; i < depth; i++) out.set([116, 0, 0, 0, 1, 106], 6 * i);
      // map key [] -> next map... the last value
      out[6 * depth] = 106;
      return [out, `${depth} maps deep`];
    }
    case 3:
      return [Uint8Array.of(108, 0xff, 0xff, 0xff, 0xff, 106), 'list claiming 4G elements'];
    case 4:
      return [Uint8Array.of(111, 0x7f, 0xff, 0xff, 0xff, 0, 1, 2, 3), 'bignum claiming 2G digits'];
    case 5:
      return [Uint8Array.of(80, 0x7f, 0xff, 0xff, 0xff, 0x78, 0x9c, 3, 0), 'compressed term claiming 2 GiB'];
    case 6:
      return [Uint8Array.of(119, 3, 0xc3, 0x28, 0x41), 'atom with invalid UTF-8'];
    case 7:
      return [Uint8Array.of(112, 0, 0, 0, 4, 0, 1, 2, 3), 'NEW_FUN_EXT with a short size'];
    default:
      return [Uint8Array.of(116, 0x10, 0, 0, 0, 97, 1), 'map claiming 268M pairs'];
  }
}

const withVersion = (body: Uint8Array) => {
  const out = new Uint8Array(body.length + 1);
  out[0] = 131;
  out.set(body, 1);
  return out;
};

async function archiveEntries(bytes: Uint8Array): Promise<{ name: string; content: Uint8Array }[]> {
  const zip = readZip(bytes, 'seed');
  return Promise.all(zip.entries.map(async (e) => ({ name: e.name, content: await e.data() })));
}

/** One archive mutation: structural ones rebuild the zip from the seed's real entries. */
async function mutateArchive(r: Rand, seed: NamedBytes): Promise<[Uint8Array, string]> {
  // A later round may find the archive already broken by an earlier one: then only its bytes are mutated.
  return mutateArchiveStructure(r, seed).catch(() => mutateBytes(r, seed.bytes));
}

async function mutateArchiveStructure(r: Rand, seed: NamedBytes): Promise<[Uint8Array, string]> {
  const kind = int(r, 7);
  if (kind <= 1) return mutateBytes(r, seed.bytes);
  const entries = await archiveEntries(seed.bytes);
  if (entries.length === 0) return mutateBytes(r, seed.bytes);
  const i = int(r, entries.length);
  const e = entries[i];
  const crafted: CraftEntry[] = entries.map((x) => deflatedEntry(x.name, x.content));
  switch (kind) {
    case 2:
    case 3: {
      const [content, what] = mutateBytes(r, e.content);
      crafted[i] = deflatedEntry(e.name, content);
      return [buildZip(crafted), `entry ${e.name}: ${what}`];
    }
    case 4: {
      // A chunk whose term table holds a crafted term.
      const chunkIx = entries.findIndex((x) => x.name.startsWith('events/'));
      if (chunkIx < 0) return mutateBytes(r, seed.bytes);
      const chunk = decodeTerm(entries[chunkIx].content, 0, { copyBinaries: true }) as ErlMap;
      const [body, what] = craftedEtf(r);
      const entriesOut = chunk.entries.map(([k, v]): [Term, Term] =>
        k === atom('terms') && Array.isArray(v) && v.length > 0 ? [k, [withVersion(body), ...v.slice(1)]] : [k, v],
      );
      crafted[chunkIx] = deflatedEntry(entries[chunkIx].name, encodeTerm({ t: 'map', entries: entriesOut }));
      return [buildZip(crafted), `${entries[chunkIx].name}: terms[0] = ${what}`];
    }
    case 5: {
      // Header lies: a declared size that is not the data's, or a bomb.
      if (r() < 0.3) {
        const mib = 16 * (1 + int(r, 2));
        crafted[i] = { ...crafted[i], data: zeroBomb(mib), size: pick(r, [e.content.length, 1000, 0, 0xfffffffe, e.content.length, mib * 1024 * 1024]) };
        return [buildZip(crafted), `entry ${e.name}: ${mib} MiB deflate bomb declared as ${crafted[i].size} bytes`];
      }
      const lie = pick(r, [0, 1, e.content.length + 1, e.content.length - 1, 0x7fffffff, 0xfffffffe]);
      crafted[i] = { ...crafted[i], size: lie };
      return [buildZip(crafted), `entry ${e.name}: declared size ${lie}`];
    }
    default: {
      // No central directory: the reader falls back to scanning local headers.
      const zip = buildZip(crafted);
      const cd = new DataView(zip.buffer).getUint32(zip.length - 22 + 16, true);
      const cut = cd + int(r, zip.length - cd);
      return [zip.slice(0, cut), `central directory cut at ${cut}`];
    }
  }
}

/** Frame offsets of a trace-port file (`<<Op:8, Size:32, Body>>`), as far as they parse. */
function frames(b: Uint8Array): number[] {
  const out: number[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let p = 0; p + 5 <= b.length;) {
    out.push(p);
    p += 5 + (b[p] === 0 ? v.getUint32(p + 1) : 0);
  }
  return out;
}

/** One trace-port mutation: byte-level, a lying frame header, or a crafted frame inserted. */
function mutateTracePort(r: Rand, b: Uint8Array): [Uint8Array, string] {
  const fs = frames(b);
  const kind = int(r, 4);
  if (kind <= 1 || fs.length === 0) return mutateBytes(r, b);
  const at = pick(r, fs);
  if (kind === 2) {
    const out = b.slice();
    const v = new DataView(out.buffer);
    if (r() < 0.3) {
      out[at] = pick(r, [1, 2, 255]);
      return [out, `frame at ${at}: op ${out[at]}`];
    }
    const size = pick(r, [0, 1, 0x7fffffff, 0xffffffff, v.getUint32(at + 1) + 1, v.getUint32(at + 1) - 1]) >>> 0;
    v.setUint32(at + 1, size);
    return [out, `frame at ${at}: size ${size}`];
  }
  const [body, what] = craftedEtf(r);
  const term = withVersion(body);
  const frame = new Uint8Array(5 + term.length);
  new DataView(frame.buffer).setUint32(1, term.length);
  frame.set(term, 5);
  const out = new Uint8Array(b.length + frame.length);
  out.set(b.subarray(0, at));
  out.set(frame, at);
  out.set(b.subarray(at), at + frame.length);
  return [out, `frame of ${what} inserted at ${at}`];
}

/** Input `index` of `reader` for `seed`. */
export async function makeInput(seeds: Record<ReaderKind, NamedBytes[][]>, reader: ReaderKind, index: number, seed: number): Promise<FuzzInput> {
  const r = rng((seed * 1_000_003 + index * 7919 + READERS.indexOf(reader) * 104_729) >>> 0);
  const set = pick(r, seeds[reader]);
  const files = set.map((f) => ({ ...f }));
  const rounds = 1 + (r() < 0.25 ? int(r, 3) : 0);
  const recipe: string[] = [];
  for (let k = 0; k < rounds; k++) {
    const fi = int(r, files.length);
    const f = files[fi];
    const [bytes, what] = reader === 'otpscope' ? await mutateArchive(r, f) : mutateTracePort(r, f.bytes);
    files[fi] = { name: f.name, bytes };
    recipe.push(`${path.basename(f.name)}: ${what}`);
  }
  if (reader === 'ttb' && r() < 0.05) {
    const ti = files.findIndex((f) => f.name.endsWith('.ti'));
    if (ti >= 0) (files.splice(ti, 1), recipe.push('.ti file removed'));
  }
  return { reader, index, recipe: recipe.join('; '), files };
}
