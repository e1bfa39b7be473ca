import { InflateLimitError, inflateRawLimited } from './inflate';
import { DEFAULT_READ_LIMITS, formatBytes, type ReadLimits } from './read-limits';
import { TraceReadError } from './trace-event';

/**
 * A minimal zip reader for otpscope archives (and any ordinary zip).
 *
 * The recorder writes each flushed chunk as a complete zip entry, so an
 * archive cut short by a crash, a kill or a full disk has every entry but the
 * last one intact and no central directory. `readZip` therefore reads the
 * central directory when it is sound, and otherwise walks the local file
 * headers from the start of the file and keeps every complete entry
 * (`recovered: true`, the cut-off entry named in `warnings`).
 *
 * Entry data is inflated lazily with the platform's
 * `DecompressionStream('deflate-raw')` (browsers, workers and Node 20 have it),
 * and checked against the entry's size and CRC-32. Inflation stops at the
 * declared size, and the declared sizes must stay under the `ReadLimits`
 * (read-limits.ts), so a zip bomb costs at most those ceilings.
 */

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate; anything else fails in `data()`. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the entry's local file header. */
  offset: number;
  /** The entry's uncompressed bytes, CRC-checked. */
  data(): Promise<Uint8Array>;
}

export interface ZipArchive {
  fileName: string;
  entries: ZipEntry[];
  /** True when the central directory was missing or damaged and entries come from a scan of local headers. */
  recovered: boolean;
  warnings: string[];
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

const utf8 = new TextDecoder('utf-8');

/** Parses the zip's structure; entry bytes are read (and checked) only when `data()` is called. */
export function readZip(bytes: Uint8Array, fileName: string, limits: ReadLimits = DEFAULT_READ_LIMITS): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const warnings: string[] = [];
  const ctx: ReadContext = { bytes, file: fileName, limits, inflated: 0 };
  const central = tryCentralDirectory(ctx, view, warnings);
  if (central) return { fileName, entries: central, recovered: false, warnings };
  return { fileName, entries: scanLocalHeaders(ctx, view, warnings), recovered: true, warnings };
}

/** One archive being read: its bytes, its ceilings, and the bytes its entries have inflated to so far. */
interface ReadContext {
  bytes: Uint8Array;
  file: string;
  limits: ReadLimits;
  inflated: number;
}

interface RawEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  crc32: number;
  offset: number;
  /** Start of the compressed data; for central-directory entries resolved from the local header. */
  dataStart?: number;
}

/** A 64-bit field; values past 2^53 lose precision but then exceed any input length and fail the bounds checks. */
function u64(view: DataView, at: number): number {
  return Number(view.getBigUint64(at, true));
}

function decodeName(bytes: Uint8Array, flags: number): string {
  // Without the UTF-8 flag the name is CP437; the names we meet are ASCII, which both agree on.
  void (flags & FLAG_UTF8);
  return utf8.decode(bytes);
}

/** Returns the entries, or undefined (with a warning) when there is no sound central directory. */
function tryCentralDirectory(ctx: ReadContext, view: DataView, warnings: string[]): ZipEntry[] | undefined {
  const { bytes, file } = ctx;
  const eocd = findEocd(view);
  if (eocd < 0) {
    warnings.push(`${file}: no end of central directory record; scanning local file headers`);
    return undefined;
  }
  try {
    let count = view.getUint16(eocd + 10, true);
    let cdSize = view.getUint32(eocd + 12, true);
    let cdOffset = view.getUint32(eocd + 16, true);
    if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
      const loc = eocd - 20;
      if (loc < 0 || view.getUint32(loc, true) !== SIG_ZIP64_LOCATOR) throw new Error('zip64 locator missing');
      const z = u64(view, loc + 8);
      if (z + 56 > bytes.length || view.getUint32(z, true) !== SIG_ZIP64_EOCD) throw new Error('zip64 end of central directory missing');
      count = u64(view, z + 32);
      cdSize = u64(view, z + 40);
      cdOffset = u64(view, z + 48);
    }
    if (cdOffset + cdSize > bytes.length) throw new Error(`central directory at ${cdOffset} runs past the end`);
    const entries: ZipEntry[] = [];
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > bytes.length || view.getUint32(p, true) !== SIG_CENTRAL) throw new Error(`bad central directory header at ${p}`);
      const flags = view.getUint16(p + 8, true);
      const method = view.getUint16(p + 10, true);
      const crc = view.getUint32(p + 16, true);
      let compressedSize = view.getUint32(p + 20, true);
      let size = view.getUint32(p + 24, true);
      const nameLen = view.getUint16(p + 28, true);
      const extraLen = view.getUint16(p + 30, true);
      const commentLen = view.getUint16(p + 32, true);
      let offset = view.getUint32(p + 42, true);
      const name = decodeName(bytes.subarray(p + 46, p + 46 + nameLen), flags);
      // Zip64 extended information: only the fields whose 32-bit slot is saturated are present, in this order.
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = view.getUint16(e, true);
        const len = view.getUint16(e + 2, true);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === U32_MAX) ((size = u64(view, q)), (q += 8));
          if (compressedSize === U32_MAX) ((compressedSize = u64(view, q)), (q += 8));
          if (offset === U32_MAX) offset = u64(view, q);
        }
        e += 4 + len;
      }
      if (offset + 30 > bytes.length || view.getUint32(offset, true) !== SIG_LOCAL) throw new Error(`entry ${name}: no local header at ${offset}`);
      const dataStart = offset + 30 + view.getUint16(offset + 26, true) + view.getUint16(offset + 28, true);
      if (dataStart + compressedSize > bytes.length) throw new Error(`entry ${name} at ${offset} runs past the end`);
      entries.push(makeEntry(ctx, { name, method, flags, compressedSize, size, crc32: crc, offset, dataStart }));
      p = extraEnd + commentLen;
    }
    return entries;
  } catch (err) {
    warnings.push(`${file}: damaged central directory (${(err as Error).message}); scanning local file headers`);
    return undefined;
  }
}

/** The end of central directory record, searched backwards over a possible trailing comment. */
function findEocd(view: DataView): number {
  const len = view.byteLength;
  const stop = Math.max(0, len - 22 - U16_MAX);
  for (let p = len - 22; p >= stop; p--) {
    if (view.getUint32(p, true) === SIG_EOCD && p + 22 + view.getUint16(p + 20, true) === len) return p;
  }
  // A record whose comment length disagrees with the file size is still better than none.
  for (let p = len - 22; p >= stop; p--) if (view.getUint32(p, true) === SIG_EOCD) return p;
  return -1;
}

/** Walks local headers from offset 0 and returns every complete entry. */
function scanLocalHeaders(ctx: ReadContext, view: DataView, warnings: string[]): ZipEntry[] {
  const { bytes, file } = ctx;
  const entries: ZipEntry[] = [];
  const len = bytes.length;
  let p = 0;
  while (p + 4 <= len) {
    const sig = view.getUint32(p, true);
    if (sig === SIG_CENTRAL || sig === SIG_EOCD || sig === SIG_ZIP64_EOCD) break;
    if (sig !== SIG_LOCAL) {
      warnings.push(`${file}: unexpected bytes at offset ${p} (no local file header); stopped there`);
      break;
    }
    if (p + 30 > len) {
      warnings.push(`${file}: truncated local file header at offset ${p}`);
      break;
    }
    const flags = view.getUint16(p + 6, true);
    const method = view.getUint16(p + 8, true);
    let crc = view.getUint32(p + 14, true);
    let compressedSize = view.getUint32(p + 18, true);
    let size = view.getUint32(p + 22, true);
    const nameLen = view.getUint16(p + 26, true);
    const extraLen = view.getUint16(p + 28, true);
    const dataStart = p + 30 + nameLen + extraLen;
    if (p + 30 + nameLen > len) {
      warnings.push(`${file}: truncated local file header at offset ${p}`);
      break;
    }
    const name = decodeName(bytes.subarray(p + 30, p + 30 + nameLen), flags);
    if (dataStart > len) {
      warnings.push(`${file}: entry ${name} at offset ${p} is truncated (header cut short)`);
      break;
    }
    let zip64 = false;
    for (let e = p + 30 + nameLen; e + 4 <= dataStart;) {
      const id = view.getUint16(e, true);
      const l = view.getUint16(e + 2, true);
      if (id === 0x0001 && e + 4 + l <= dataStart) {
        zip64 = true;
        let q = e + 4;
        if (size === U32_MAX && q + 8 <= e + 4 + l) ((size = u64(view, q)), (q += 8));
        if (compressedSize === U32_MAX && q + 8 <= e + 4 + l) compressedSize = u64(view, q);
      }
      e += 4 + l;
    }
    let next: number;
    if (flags & FLAG_DESCRIPTOR && compressedSize === 0) {
      const found = findDescriptor(view, dataStart, zip64);
      if (!found) {
        warnings.push(`${file}: entry ${name} at offset ${p} is truncated (no data descriptor found)`);
        break;
      }
      ({ crc, compressedSize, size } = found);
      next = found.end;
    } else {
      next = dataStart + compressedSize;
      if (next > len) {
        warnings.push(`${file}: entry ${name} at offset ${p} is truncated (${len - dataStart} of ${compressedSize} bytes)`);
        break;
      }
      if (flags & FLAG_DESCRIPTOR) next = skipDescriptor(view, next, zip64);
    }
    entries.push(makeEntry(ctx, { name, method, flags, compressedSize, size, crc32: crc, offset: p, dataStart }));
    p = next;
  }
  return entries;
}

/**
 * Best effort for streamed entries (flag bit 3 with zero sizes): the data runs
 * to the first data descriptor whose compressed size matches its own position,
 * with or without the optional descriptor signature.
 */
function findDescriptor(view: DataView, dataStart: number, zip64: boolean): { crc: number; compressedSize: number; size: number; end: number } | undefined {
  const len = view.byteLength;
  const w = zip64 ? 8 : 4;
  for (let q = dataStart; q + 4 <= len; q++) {
    const sig = view.getUint32(q, true);
    if (sig === SIG_DESCRIPTOR && q + 4 + 4 + 2 * w <= len) {
      const cs = w === 8 ? u64(view, q + 8) : view.getUint32(q + 8, true);
      if (cs === q - dataStart) {
        const size = w === 8 ? u64(view, q + 16) : view.getUint32(q + 12, true);
        return { crc: view.getUint32(q + 4, true), compressedSize: cs, size, end: q + 4 + 4 + 2 * w };
      }
    }
    if (sig === SIG_LOCAL || sig === SIG_CENTRAL) {
      // Descriptor without signature, right before the next header.
      const d = q - (4 + 2 * w);
      if (d >= dataStart) {
        const cs = w === 8 ? u64(view, d + 4) : view.getUint32(d + 4, true);
        if (cs === d - dataStart) {
          const size = w === 8 ? u64(view, d + 4 + w) : view.getUint32(d + 8, true);
          return { crc: view.getUint32(d, true), compressedSize: cs, size, end: q };
        }
      }
    }
  }
  return undefined;
}

function skipDescriptor(view: DataView, at: number, zip64: boolean): number {
  const n = 4 + 2 * (zip64 ? 8 : 4);
  if (at + 4 <= view.byteLength && view.getUint32(at, true) === SIG_DESCRIPTOR) return Math.min(view.byteLength, at + 4 + n);
  return Math.min(view.byteLength, at + n);
}

function makeEntry(ctx: ReadContext, raw: RawEntry): ZipEntry {
  const { bytes, file, limits } = ctx;
  const { name, method, compressedSize, size, offset } = raw;
  const expectedCrc = raw.crc32 >>> 0;
  const dataStart = raw.dataStart!;
  const fail = (detail: string) => new TraceReadError(file, offset, `entry ${name}: ${detail}`);
  return {
    name,
    method,
    compressedSize,
    size,
    crc32: expectedCrc,
    offset,
    async data() {
      // Refuse before inflating anything: the declared size bounds what inflation may produce.
      if (size > limits.maxEntryBytes)
        throw fail(`declares ${formatBytes(size)} uncompressed, more than the per-entry limit of ${formatBytes(limits.maxEntryBytes)}${raise('entry')}`);
      if (ctx.inflated + size > limits.maxArchiveBytes)
        throw fail(
          `declares ${formatBytes(size)} uncompressed, which with the ${formatBytes(ctx.inflated)} already read passes the per-archive limit of ${formatBytes(limits.maxArchiveBytes)}${raise('archive')}`,
        );
      const comp = bytes.subarray(dataStart, dataStart + compressedSize);
      let out: Uint8Array;
      if (method === 0) out = comp;
      else if (method === 8) {
        try {
          out = await inflateRawLimited(comp, size);
        } catch (err) {
          if (err instanceof InflateLimitError)
            throw fail(`inflates past its declared size of ${formatBytes(size)} (stopped after ${err.produced} bytes): the entry is damaged or a zip bomb`);
          throw fail(`corrupt deflate data (${(err as Error).message})`);
        }
      } else throw fail(`unsupported compression method ${method}`);
      if (out.length !== size) throw fail(`size ${out.length}, expected ${size}`);
      ctx.inflated += out.length;
      const got = crc32(out);
      if (got !== expectedCrc) throw fail(`CRC-32 mismatch (computed ${hex(got)}, expected ${hex(expectedCrc)})`);
      return out;
    },
  };
}

function raise(which: 'entry' | 'archive'): string {
  const option = which === 'entry' ? 'maxEntryBytes' : 'maxArchiveBytes';
  return `; if the archive is trusted, raise the limit (CLI --max-${which}-mb, engine option limits.${option})`;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

let crcTables: Uint32Array | undefined;

/** The byte table of CRC-32 and seven more, each a byte further on: table k at [256 k, 256 k + 256). */
function makeCrcTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[256 * k + n] = (t[256 * (k - 1) + n] >>> 8) ^ t[t[256 * (k - 1) + n] & 0xff];
  return t;
}

/**
 * CRC-32 (IEEE 802.3, the zip polynomial), table-driven eight bytes at a time ("slicing by 8"): every chunk of
 * an archive is checked, and a byte at a time took ~2% of a load.
 */
export function crc32(data: Uint8Array, crc = 0): number {
  const t = (crcTables ??= makeCrcTables());
  let c = ~crc;
  let i = 0;
  const n8 = data.length - 8;
  for (; i <= n8; i += 8) {
    const lo = c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    const hi = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
    c =
      t[1792 + (lo & 0xff)] ^
      t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^
      t[768 + (hi & 0xff)] ^
      t[512 + ((hi >>> 8) & 0xff)] ^
      t[256 + ((hi >>> 16) & 0xff)] ^
      t[hi >>> 24];
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
