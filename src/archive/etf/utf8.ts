/**
 * Strict UTF-8 decoding by hand: the archive code must not depend on
 * TextDecoder (not in the ES lib we type-check against), and the renderers need
 * Erlang's exact notion of a valid code point (`<<c::utf8>>` rejects overlong
 * forms, surrogates and anything above U+10FFFF).
 */

/**
 * Decodes the code point starting at `i` (which must be < `end`). Returns the code point and
 * its byte length packed as `cp * 8 + len`, or -1 when the bytes there are not valid UTF-8.
 */
export function utf8At(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0x80) return c * 8 + 1;
  if (c < 0xc2) return -1;
  if (c < 0xe0) {
    if (i + 1 >= end) return -1;
    const c1 = b[i + 1]!;
    if ((c1 & 0xc0) !== 0x80) return -1;
    return (((c & 0x1f) << 6) | (c1 & 0x3f)) * 8 + 2;
  }
  if (c < 0xf0) {
    if (i + 2 >= end) return -1;
    const c1 = b[i + 1]!;
    const c2 = b[i + 2]!;
    if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80) return -1;
    const cp = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
    if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    return cp * 8 + 3;
  }
  if (c < 0xf5) {
    if (i + 3 >= end) return -1;
    const c1 = b[i + 1]!;
    const c2 = b[i + 2]!;
    const c3 = b[i + 3]!;
    if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) return -1;
    const cp = ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
    if (cp < 0x10000 || cp > 0x10ffff) return -1;
    return cp * 8 + 4;
  }
  return -1;
}

/** The string for bytes[start, end) when they are valid UTF-8, else null. */
export function decodeUtf8(b: Uint8Array, start: number, end: number): string | null {
  let s = '';
  let i = start;
  while (i < end) {
    const r = utf8At(b, i, end);
    if (r < 0) return null;
    s += String.fromCodePoint(r >>> 3);
    i += r & 7;
  }
  return s;
}

/** The UTF-8 bytes of a string (no surrogate checks: strings here come from decoded terms). */
export function encodeUtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}
