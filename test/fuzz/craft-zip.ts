/**
 * Hand-built zip files for hostile-input tests: entries with any declared
 * sizes, and deflate bombs made of repeated flushed blocks of zeros (a GiB of
 * output costs a megabyte of input and no GiB-sized buffer to make).
 */
import { constants, deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/archive/zip';

export interface CraftEntry {
  name: string;
  /** The stored bytes (already deflated when method is 8). */
  data: Uint8Array;
  method: 0 | 8;
  /** Declared uncompressed size. */
  size: number;
  crc32: number;
}

/** A plain entry, deflated. */
export function deflatedEntry(name: string, content: Uint8Array): CraftEntry {
  return { name, data: new Uint8Array(deflateRawSync(content)), method: 8, size: content.length, crc32: crc32(content) };
}

/** A stored (uncompressed) entry. */
export function storedEntry(name: string, content: Uint8Array): CraftEntry {
  return { name, data: content, method: 0, size: content.length, crc32: crc32(content) };
}

const BLOCK = 16 * 1024 * 1024;

/**
 * Raw deflate data that inflates to `mib` MiB of zeros (a multiple of 16):
 * one sync-flushed, non-final compression of 16 MiB of zeros, repeated, then
 * an empty final block. Each copy is byte-aligned and refers only to its own
 * output, so the concatenation is one valid deflate stream.
 */
export function zeroBomb(mib: number): Uint8Array {
  if (mib % 16 !== 0) throw new Error('zeroBomb: mib must be a multiple of 16');
  const block = deflateRawSync(new Uint8Array(BLOCK), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const end = Uint8Array.of(0x03, 0x00); // final fixed-Huffman block holding only end-of-block
  const copies = mib / 16;
  const out = new Uint8Array(block.length * copies + end.length);
  for (let i = 0; i < copies; i++) out.set(block, i * block.length);
  out.set(end, block.length * copies);
  return out;
}

/** A zip with a central directory, every entry at the sizes it declares (true or not). */
export function buildZip(entries: CraftEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, e.method, true);
    lv.setUint32(14, e.crc32 >>> 0, true);
    lv.setUint32(18, e.data.length, true);
    lv.setUint32(22, Math.min(e.size, 0xfffffffe), true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const c = new Uint8Array(46 + name.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, e.method, true);
    cv.setUint32(16, e.crc32 >>> 0, true);
    cv.setUint32(20, e.data.length, true);
    cv.setUint32(24, Math.min(e.size, 0xfffffffe), true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    c.set(name, 46);
    parts.push(local, e.data);
    central.push(c);
    offset += local.length + e.data.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of all) (out.set(p, o), (o += p.length));
  return out;
}
