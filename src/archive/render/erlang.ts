/**
 * `renderErlang(t)` is what `io_lib:format("~0tp", [T])` prints on OTP 25
 * with the default printable range (`+pc latin1`): `~p` pretty-printing with
 * no line breaks (field width 0 disables them) and the `t` modifier, so
 * printable UTF-8 binaries show as `<<"héllo"/utf8>>`. Lists and binaries print
 * as strings only when every character is printable Latin-1; nothing is
 * truncated (no depth or chars limit). Maps up to 32 keys print in their
 * encoding order (sorted on OTP 25, see mapEntries); larger ones in the reverse
 * of it, as ~p walks them. Funs
 * print through the runtime's own `erlang:fun_to_list/1`, which quotes atoms
 * its own way and writes non-ASCII atom text as raw UTF-8 bytes (a quirk we
 * reproduce: `fun m:Ã³lÃ¡/1` for the function `ólá`).
 * Tested against the real runtime in test/fixtures/terms.
 */
import type { Term } from '../etf/term';
import { encodeUtf8, utf8At } from '../etf/utf8';
import { mapEntries, nodeNumber } from './elixir';
import { formatErlangFloat } from './float';
import type { RenderOptions } from './options';

export function renderErlang(t: Term, opts: RenderOptions = {}): string {
  return render(t, opts);
}

const RESERVED = new Set(
  'after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if let not of or orelse receive rem try when xor'.split(' '),
);

function isLatin1Lower(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
}

function isAtomChar(c: number): boolean {
  return isLatin1Lower(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x40;
}

/** io_lib:write_atom/1: bare when it scans as an atom, else in single quotes. */
export function erlangAtom(name: string): string {
  const cps = [...name].map((ch) => ch.codePointAt(0)!);
  const bare = cps.length > 0 && isLatin1Lower(cps[0]!) && cps.every(isAtomChar) && !RESERVED.has(name);
  return bare ? name : `'${escape(cps, 0x27)}'`;
}

const ESCAPES: Record<number, string> = { 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v', 8: '\\b', 12: '\\f', 27: '\\e', 127: '\\d' };

/** io_lib's string_char/4 with the unicode modifier: quotes and backslashes escaped, controls as \n or octal. */
function escape(cps: readonly number[], quote: number): string {
  let out = '';
  for (const c of cps) {
    if (c === quote || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if ((c >= 0x20 && c <= 0x7e) || c >= 0xa0) out += String.fromCodePoint(c);
    else if (ESCAPES[c] !== undefined) out += ESCAPES[c];
    else out += '\\' + (c >> 6).toString() + ((c >> 3) & 7).toString() + (c & 7).toString();
  }
  return out;
}

/** io_lib:printable_latin1_list/1. */
function isPrintableLatin1(c: unknown): boolean {
  return typeof c === 'number' && ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || (c >= 8 && c <= 13) || c === 27);
}

function binary(b: Uint8Array): string {
  if (b.length === 0) return '<<>>';
  // Valid UTF-8 whose characters are all printable: a string, marked /utf8 unless it is ASCII.
  const cps: number[] = [];
  let ok = true;
  for (let i = 0; i < b.length;) {
    const r = utf8At(b, i, b.length);
    if (r < 0 || !isPrintableLatin1(r >>> 3)) {
      ok = false;
      break;
    }
    cps.push(r >>> 3);
    i += r & 7;
  }
  if (ok) return cps.length === b.length ? `<<"${escape(cps, 0x22)}">>` : `<<"${escape(cps, 0x22)}"/utf8>>`;
  // Only bytes that are not UTF-8 get a second chance as Latin-1.
  if (utf8Invalid(b) && b.every(isPrintableLatin1)) return `<<"${escape([...b], 0x22)}">>`;
  return `<<${b.join(',')}>>`;
}

function utf8Invalid(b: Uint8Array): boolean {
  for (let i = 0; i < b.length;) {
    const r = utf8At(b, i, b.length);
    if (r < 0) return true;
    i += r & 7;
  }
  return false;
}

/** erts' atom printing (erl_printf_term.c), used by fun_to_list: no `@`, no reserved words, Latin-1 letters by code point, UTF-8 bytes out. */
function ertsAtom(name: string): string {
  const cps = [...name].map((ch) => ch.codePointAt(0)!);
  const lower = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
  const alnum = (c: number) => lower(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
  const bare = cps.length > 0 && lower(cps[0]!) && cps.every(alnum);
  const bytes = String.fromCharCode(...encodeUtf8(name));
  if (bare) return bytes;
  let out = '';
  for (const ch of bytes) {
    const c = ch.charCodeAt(0);
    if (c === 0x27 || c === 0x5c) out += '\\' + ch;
    else if (c < 0x20 && ESCAPES[c] !== undefined) out += ESCAPES[c];
    else out += ch;
  }
  return `'${out}'`;
}

function bitstring(bytes: Uint8Array, bits: number): string {
  const full = [...bytes.subarray(0, bytes.length - 1)].map(String);
  full.push(`${bytes[bytes.length - 1]! >> (8 - bits)}:${bits}`);
  return `<<${full.join(',')}>>`;
}

function render(t: Term, o: RenderOptions): string {
  if (typeof t === 'number') return String(t);
  if (typeof t === 'bigint') return t.toString();
  if (t instanceof Uint8Array) return binary(t);
  if (Array.isArray(t)) {
    if (t.length > 0 && t.every(isPrintableLatin1)) return `"${escape(t as number[], 0x22)}"`;
    return `[${t.map((x) => render(x, o)).join(',')}]`;
  }
  switch (t.t) {
    case 'atom':
      return erlangAtom(t.name);
    case 'float':
      return formatErlangFloat(t.value);
    case 'bitstring':
      return bitstring(t.bytes, t.bits);
    case 'improper':
      return `[${t.items.map((x) => render(x, o)).join(',')}|${render(t.tail, o)}]`;
    case 'tuple':
      return `{${t.items.map((x) => render(x, o)).join(',')}}`;
    case 'map':
      return `#{${(t.entries.length > 32 ? [...t.entries].reverse() : mapEntries(t)).map(([k, v]) => `${render(k, o)} => ${render(v, o)}`).join(',')}}`;
    case 'pid':
      return `<${nodeNumber(t.node.name, o)}.${t.id}.${t.serial}>`;
    case 'port':
      return `#Port<${nodeNumber(t.node.name, o)}.${t.id}>`;
    case 'ref':
      return `#Ref<${nodeNumber(t.node.name, o)}.${[...t.ids].reverse().join('.')}>`;
    case 'export':
      return `fun ${ertsAtom(t.module.name)}:${ertsAtom(t.fun.name)}/${t.arity}`;
    case 'fun':
      return `#Fun<${String.fromCharCode(...encodeUtf8(t.module.name))}.${t.index}.${t.oldUniq}>`;
  }
}
