/**
 * 53-bit hashes (two 32-bit multiply-xorshift lanes, combined) used as the
 * identity of a term: of its exact encoding (`hashBytes`, archives) or of its
 * full rendering (`hashString`, raw traces). 53 bits keep it a safe JS
 * integer and a BIGINT in DuckDB; collisions need ~10^8 distinct terms.
 */
export function hashBytes(bytes: Uint8Array, seed = 0): number {
  return hashRange(bytes, 0, bytes.length, seed);
}

/** \`hashBytes(bytes.subarray(from, to))\` without the view. */
export function hashRange(bytes: Uint8Array, from: number, to: number, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = from; i < to; i++) {
    h1 = Math.imul(h1 ^ bytes[i], 2654435761);
    h2 = Math.imul(h2 ^ bytes[i], 1597334677);
  }
  return finish(h1, h2);
}

/** The same over a string's UTF-16 code units: no encoding and no allocation, as it runs per event. */
export function hashString(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    h1 = Math.imul(h1 ^ s.charCodeAt(i), 2654435761);
    h2 = Math.imul(h2 ^ s.charCodeAt(i), 1597334677);
  }
  return finish(h1, h2);
}

/**
 * \`hashString\` of the text whose UTF-8 is \`bytes[from..to)\`, read from the bytes when they are all ASCII (then
 * each byte is the text's code unit); NaN otherwise, for the caller to hash the string.
 */
export function hashAscii(bytes: Uint8Array, from: number, to: number, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = from; i < to; i++) {
    const c = bytes[i];
    if (c > 0x7f) return NaN;
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return finish(h1, h2);
}

function finish(a: number, b: number): number {
  const h1 = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
  const h2 = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
