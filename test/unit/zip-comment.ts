/**
 * The same archive with a zip comment (the end-of-central-directory record, without one, is the last 22 bytes):
 * a copy that reads the same but is not a duplicate of the original by content.
 */
export function withZipComment(zip: Uint8Array, comment: string): Uint8Array {
  const text = new TextEncoder().encode(comment);
  const out = new Uint8Array(zip.length + text.length);
  out.set(zip);
  out.set(text, zip.length);
  new DataView(out.buffer).setUint16(zip.length - 2, text.length, true);
  return out;
}
