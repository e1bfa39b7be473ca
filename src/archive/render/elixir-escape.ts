/**
 * Elixir 1.14's string escaping (`Code.Identifier.escape/4`, and 1.18's on request) and printability
 * rules (`String.printable?/2`, `List.ascii_printable?/2`), as used by
 * `inspect/1` for strings, charlists and quoted atoms.
 */
import { utf8At } from '../etf/utf8';

const ESCAPES: Record<number, string> = {
  0x07: '\\a',
  0x08: '\\b',
  0x7f: '\\d',
  0x1b: '\\e',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x5c: '\\\\',
  0x09: '\\t',
  0x0b: '\\v',
};

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

/** Code points String.printable? accepts on their own (besides the escapes above). */
export function isPrintableCodePoint(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/**
 * Characters that print as `\uXXXX` though printable: the byte order mark (every version), and from Elixir 1.18 on
 * the special spaces, zero-width and bidirectional characters ("Inspect special whitespace and zero-width characters
 * using their Unicode representation"; the set read off 1.18.3's inspect of every code point).
 */
const INVISIBLE_1_18: readonly (readonly [number, number])[] = [
  [0xa0, 0xa0],
  [0x34f, 0x34f],
  [0x61c, 0x61c],
  [0x2000, 0x200f],
  [0x2028, 0x202e],
  [0x205f, 0x2064],
  [0x2066, 0x2069],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffc],
];

function isInvisible(c: number, since118: boolean): boolean {
  if (c === 0xfeff) return true;
  if (!since118 || c < 0xa0) return false;
  return INVISIBLE_1_18.some(([a, b]) => c >= a && c <= b);
}

function escapeCodePoint(c: number, since118: boolean): string {
  const e = ESCAPES[c];
  if (e !== undefined) return e;
  return isInvisible(c, since118) ? '\\u' + hex(c, 4) : escapeChar(c);
}

/** `Code.Identifier.escape_char/1`: printable characters as themselves, others as \0, \xHH or \x{HHHH}. */
export function escapeChar(c: number): string {
  if (c === 0) return '\\0';
  if (isPrintableCodePoint(c)) return String.fromCodePoint(c);
  if (c < 0x100) return '\\x' + hex(c, 2);
  if (c < 0x10000) return '\\x{' + hex(c, 4) + '}';
  return '\\x{' + hex(c, 6) + '}';
}

/**
 * Escapes code points for a literal delimited by `quote`, stopping after `limit` characters.
 * Returns the escaped text and whether input remained. A code point of -1-b stands for an
 * invalid UTF-8 byte b (escaped as \xHH). `since118`: Elixir 1.18's escapes (see INVISIBLE_1_18).
 */
export function escapeCodePoints(cps: readonly number[], quote: number, limit = Infinity, since118 = false): { text: string; truncated: boolean } {
  let out = '';
  let count = 0;
  for (let i = 0; i < cps.length; i++) {
    if (count >= limit) return { text: out, truncated: true };
    const c = cps[i]!;
    count++;
    if (c < 0) out += '\\x' + hex(-1 - c, 2);
    else if (c === quote) out += '\\' + String.fromCharCode(quote);
    else if (c === 0x23 && cps[i + 1] === 0x7b) {
      out += '\\#{';
      i++;
    } else out += escapeCodePoint(c, since118);
  }
  return { text: out, truncated: false };
}

/** The code points of a binary, with invalid bytes as -1-byte (see escapeCodePoints). */
export function binaryCodePoints(b: Uint8Array): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < b.length) {
    const r = utf8At(b, i, b.length);
    if (r < 0) {
      out.push(-1 - b[i]!);
      i++;
    } else {
      out.push(r >>> 3);
      i += r & 7;
    }
  }
  return out;
}

export function stringCodePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

/** String.printable?(binary, limit): valid UTF-8 whose first `limit` characters are printable. */
export function isPrintableBinary(b: Uint8Array, limit: number): boolean {
  let i = 0;
  let n = 0;
  while (i < b.length) {
    if (n >= limit) return true;
    const r = utf8At(b, i, b.length);
    if (r < 0) return false;
    const c = r >>> 3;
    if (!isPrintableCodePoint(c) && ESCAPES[c] === undefined) return false;
    i += r & 7;
    n++;
  }
  return true;
}

const ASCII_PRINTABLE_EXTRA = new Set([0x0a, 0x0d, 0x09, 0x0b, 0x08, 0x0c, 0x1b, 0x07]);

/** List.ascii_printable?(list, limit) for a proper list. */
export function isAsciiPrintableList(items: readonly unknown[], limit: number): boolean {
  const n = Math.min(items.length, limit);
  for (let i = 0; i < n; i++) {
    const c = items[i];
    if (typeof c !== 'number' || !((c >= 32 && c <= 126) || ASCII_PRINTABLE_EXTRA.has(c))) return false;
  }
  return true;
}
