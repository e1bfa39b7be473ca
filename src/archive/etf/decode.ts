/**
 * Decoder for the External Term Format (`term_to_binary/1`), the encoding of
 * every term in a trace archive.
 *
 * Ingest decodes millions of small terms, so this is one loop over the bytes
 * with an explicit stack instead of recursion: nesting depth is bounded only by
 * the input size (a 1 MB term nested a million deep decodes without touching
 * the JS call stack), and there are no per-term closures or DataViews.
 *
 * Every read is bounds-checked and every length is checked against the bytes
 * that remain before anything is allocated, so corrupt or truncated input
 * throws an `EtfError` naming the offset and what was expected; it never
 * hangs, reads `undefined` or allocates from a bogus length.
 *
 * Choices worth knowing:
 * - Binaries are zero-copy `subarray` views of the input (or of the inflated
 *   buffer) unless `copyBinaries` is set; do not mutate the input afterwards.
 * - ATOM_CACHE_REF only occurs after a distribution header; it decodes when the
 *   caller supplies `atomCache` and is an error otherwise.
 * - Compressed terms (tag 80) inflate with the decoder's own synchronous zlib
 *   (zlib-inflate.ts, bounded by the size the term states), in the browser
 *   and in Node alike. `decodeTermAt` reports the end of a compressed term as
 *   the end of the input, since zlib streams do not carry a length.
 * - LOCAL_EXT (OTP 26+) is decoded by skipping its 8-byte hash and decoding
 *   the term after it; a node-local encoding inside it is an unknown-tag error.
 * - Old FUN_EXT carries no arity: such funs decode with `arity: -1`.
 */
import { Decoder } from './decoder';
import { EtfError } from './etf-error';
import { Tag, VERSION_MAGIC } from './tags';
import type { Atom, Term } from './term';

export { EtfError } from './etf-error';

export interface DecodeOptions {
  /** Synchronous zlib inflate for compressed terms; default: zlib-inflate.ts. */
  inflate?: (data: Uint8Array, expectedSize: number) => Uint8Array;
  /** Atoms of the distribution header's atom cache, indexed by ATOM_CACHE_REF's byte. */
  atomCache?: readonly Atom[];
  /** Copy binaries out of the input instead of returning views into it. */
  copyBinaries?: boolean;
  /** Largest uncompressed size a compressed term may claim (default 256 MiB), against zip bombs. */
  maxInflatedSize?: number;
}

/** Decode one term written by term_to_binary (starts with version byte 131). Handles compressed (tag 80, zlib) terms. */
export function decodeTerm(bytes: Uint8Array, offset = 0, options?: DecodeOptions): Term {
  return decodeTermAt(bytes, offset, options).term;
}

/**
 * \`decodeTerm(bytes.subarray(from, to))\` without the view: the same term, the same errors (offsets counted from
 * \`from\`), nothing read outside the range; binaries are views of \`bytes\`. For the many small terms kept side by
 * side in one buffer (an archive chunk's payload table), where a view per term cost an allocation each.
 */
export function decodeTermIn(bytes: Uint8Array, from: number, to: number, options?: DecodeOptions): Term {
  if (from >= to) throw new EtfError('expected version byte 131 at offset 0, input ended', 0);
  if (bytes[from] !== VERSION_MAGIC) throw new EtfError(`expected version byte 131 at offset 0, found ${bytes[from]}`, 0);
  const d = new Decoder(bytes, from + 1, options, -from, to);
  if (from + 1 < to && bytes[from + 1] === Tag.COMPRESSED) return d.compressed();
  return d.term();
}

/** Decode and also return the offset just past the term (for framed streams). */
export function decodeTermAt(bytes: Uint8Array, offset: number, options?: DecodeOptions): { term: Term; end: number } {
  if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new EtfError(`offset ${offset} is outside the ${bytes.length}-byte input`, offset);
  }
  if (offset >= bytes.length) throw new EtfError(`expected version byte 131 at offset ${offset}, input ended`, offset);
  if (bytes[offset] !== VERSION_MAGIC) {
    throw new EtfError(`expected version byte 131 at offset ${offset}, found ${bytes[offset]}`, offset);
  }
  const d = new Decoder(bytes, offset + 1, options, 0);
  if (bytes[offset + 1] === Tag.COMPRESSED) return { term: d.compressed(), end: bytes.length };
  const term = d.term();
  return { term, end: d.pos };
}
