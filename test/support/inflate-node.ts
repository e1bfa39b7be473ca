/**
 * Node's zlib as an ETF inflater (`decodeTerm(bytes, 0, { inflate: inflateNode })`):
 * tests decode with it to check the decoder's own inflater (src/archive/etf/zlib-inflate.ts)
 * against zlib itself.
 */
import { inflateSync } from 'node:zlib';

export function inflateNode(data: Uint8Array, expectedSize: number): Uint8Array {
  // maxOutputLength stops a zip bomb at the size the header promised.
  const out = inflateSync(data, { maxOutputLength: Math.max(expectedSize, 1) });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
