/**
 * A synchronous zlib (RFC 1950) / DEFLATE (RFC 1951) inflater for compressed
 * terms (`term_to_binary(T, [compressed])`, ETF tag 80), in plain TypeScript
 * so it runs the same in the browser worker, the CLI and tests: the
 * platform's `DecompressionStream` is asynchronous and the ETF decoder is not.
 *
 * Output is bounded: a term's header states its uncompressed size, and
 * inflation stops with an error as soon as the output would pass it, so a
 * small frame cannot expand into gigabytes. Every structural error (bad
 * header, bad block type, invalid code, distance before the start, missing
 * end of block, checksum) throws with the byte offset in the compressed data.
 */

export class InflateError extends Error {
  constructor(
    message: string,
    /** Byte offset in the compressed data where the problem was found. */
    readonly offset: number,
  ) {
    super(`${message} (compressed byte ${offset})`);
    this.name = 'InflateError';
  }
}

const MAX_BITS = 15;
const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which code length code lengths are stored in a dynamic block header. */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A canonical Huffman code: how many codes of each length, and the symbols ordered by (length, symbol). */
interface Huffman {
  counts: Uint16Array;
  symbols: Uint16Array;
}

function huffman(lengths: ArrayLike<number>, what: string, at: number): Huffman {
  const counts = new Uint16Array(MAX_BITS + 1);
  for (let i = 0; i < lengths.length; i++) counts[lengths[i]]++;
  counts[0] = 0;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = (left << 1) - counts[len];
    if (left < 0) throw new InflateError(`over-subscribed ${what} code`, at);
  }
  const offsets = new Uint16Array(MAX_BITS + 1);
  for (let len = 1; len < MAX_BITS; len++) offsets[len + 1] = offsets[len] + counts[len];
  const symbols = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) if (lengths[s] !== 0) symbols[offsets[lengths[s]]++] = s;
  return { counts, symbols };
}

const FIXED_LIT = huffman(
  Array.from({ length: 288 }, (_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8)),
  'fixed literal',
  0,
);
const FIXED_DIST = huffman(new Array(30).fill(5), 'fixed distance', 0);

class Inflater {
  private pos: number;
  private bitBuf = 0;
  private bitCount = 0;
  private o = 0;

  constructor(
    private readonly src: Uint8Array,
    start: number,
    private readonly out: Uint8Array,
  ) {
    this.pos = start;
  }

  bits(n: number): number {
    while (this.bitCount < n) {
      if (this.pos >= this.src.length) throw new InflateError('compressed data ends early', this.pos);
      this.bitBuf |= this.src[this.pos++] << this.bitCount;
      this.bitCount += 8;
    }
    const v = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCount -= n;
    return v;
  }

  decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      code |= this.bits(1);
      const count = h.counts[len];
      if (code - count < first) return h.symbols[index + (code - first)];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new InflateError('invalid Huffman code', this.pos);
  }

  private put(byte: number): void {
    if (this.o >= this.out.length) throw new InflateError(`inflates to more than the ${this.out.length} bytes its header states`, this.pos);
    this.out[this.o++] = byte;
  }

  /** Inflates every block; returns the offset just past the last one. */
  run(): { produced: number; end: number } {
    let last = 0;
    while (!last) {
      last = this.bits(1);
      const type = this.bits(2);
      if (type === 0) this.stored();
      else if (type === 1) this.codes(FIXED_LIT, FIXED_DIST);
      else if (type === 2) this.dynamic();
      else throw new InflateError('invalid block type 3', this.pos);
    }
    return { produced: this.o, end: this.pos };
  }

  private stored(): void {
    this.bitBuf = 0;
    this.bitCount = 0;
    if (this.pos + 4 > this.src.length) throw new InflateError('stored block header ends early', this.pos);
    const len = this.src[this.pos] | (this.src[this.pos + 1] << 8);
    const nlen = this.src[this.pos + 2] | (this.src[this.pos + 3] << 8);
    if (len !== (~nlen & 0xffff)) throw new InflateError('stored block length does not match its complement', this.pos);
    this.pos += 4;
    if (this.pos + len > this.src.length) throw new InflateError('stored block ends early', this.pos);
    for (let i = 0; i < len; i++) this.put(this.src[this.pos + i]);
    this.pos += len;
  }

  private dynamic(): void {
    const at = this.pos;
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new InflateError('too many length or distance codes', at);
    const clLengths = new Uint8Array(19);
    for (let i = 0; i < ncode; i++) clLengths[CL_ORDER[i]] = this.bits(3);
    const cl = huffman(clLengths, 'code length', at);
    const lengths = new Uint8Array(nlen + ndist);
    for (let i = 0; i < nlen + ndist;) {
      const sym = this.decode(cl);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let value = 0;
      let repeat: number;
      if (sym === 16) {
        if (i === 0) throw new InflateError('repeat with no previous length', this.pos);
        value = lengths[i - 1];
        repeat = 3 + this.bits(2);
      } else repeat = sym === 17 ? 3 + this.bits(3) : 11 + this.bits(7);
      if (i + repeat > nlen + ndist) throw new InflateError('code lengths overflow the header counts', this.pos);
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[256] === 0) throw new InflateError('no end-of-block code', this.pos);
    this.codes(huffman(lengths.subarray(0, nlen), 'literal/length', at), huffman(lengths.subarray(nlen), 'distance', at));
  }

  private codes(lit: Huffman, dist: Huffman): void {
    for (;;) {
      let sym = this.decode(lit);
      if (sym < 256) {
        this.put(sym);
        continue;
      }
      if (sym === 256) return;
      sym -= 257;
      if (sym >= 29) throw new InflateError(`invalid length code ${sym + 257}`, this.pos);
      const len = LEN_BASE[sym] + this.bits(LEN_EXTRA[sym]);
      const dsym = this.decode(dist);
      if (dsym >= 30) throw new InflateError(`invalid distance code ${dsym}`, this.pos);
      const d = DIST_BASE[dsym] + this.bits(DIST_EXTRA[dsym]);
      if (d > this.o) throw new InflateError(`distance ${d} reaches before the start of the output`, this.pos);
      for (let i = 0; i < len; i++) this.put(this.out[this.o - d]);
    }
  }
}

/**
 * Inflates zlib data (2-byte header, DEFLATE blocks, Adler-32) that the caller
 * says holds `expectedSize` bytes; throws `InflateError` when it is malformed,
 * its checksum does not match, or it holds more or fewer bytes.
 */
export function inflateZlib(data: Uint8Array, expectedSize: number): Uint8Array {
  if (data.length < 2) throw new InflateError('zlib header ends early', 0);
  const cmf = data[0];
  const flg = data[1];
  if ((cmf & 0x0f) !== 8) throw new InflateError(`zlib compression method ${cmf & 0x0f}, expected 8 (deflate)`, 0);
  if ((cmf * 256 + flg) % 31 !== 0) throw new InflateError('zlib header check bits are wrong', 1);
  if (flg & 0x20) throw new InflateError('zlib preset dictionary is not supported', 1);
  const out = new Uint8Array(expectedSize);
  const { produced, end } = new Inflater(data, 2, out).run();
  if (produced !== expectedSize) throw new InflateError(`inflates to ${produced} bytes, its header states ${expectedSize}`, end);
  if (end + 4 > data.length) throw new InflateError('zlib checksum missing', end);
  const want = ((data[end] << 24) | (data[end + 1] << 16) | (data[end + 2] << 8) | data[end + 3]) >>> 0;
  if (adler32(out) !== want) throw new InflateError('zlib checksum (Adler-32) does not match', end);
  return out;
}

function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length;) {
    // 5552 bytes is the most that cannot overflow before the modulo (zlib's NMAX)
    const n = Math.min(5552, b.length - i);
    for (const end = i + n; i < end; i++) {
      a += b[i];
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}
