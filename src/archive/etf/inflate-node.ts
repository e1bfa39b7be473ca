/**
 * The zlib inflater for compressed terms (tag 80) in Node: pass it as
 * `decodeTerm(bytes, 0, { inflate: inflateNode })`. Kept out of decode.ts so
 * that browser bundles never import `node:zlib`; the browser needs its own
 * synchronous inflater (e.g. fflate's `unzlibSync`) with the same signature.
 */
import { inflateSync } from 'node:zlib';

export function inflateNode(data: Uint8Array, expectedSize: number): Uint8Array {
  // maxOutputLength stops a zip bomb at the size the header promised.
  const out = inflateSync(data, { maxOutputLength: Math.max(expectedSize, 1) });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
