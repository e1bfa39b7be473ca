/**
 * renderElixir's text written straight into UTF-8 bytes, for a term whose
 * text goes only into a column (ingest's `events_raw.term`): no string per
 * term, no rope of concatenated parts for the copy to flatten. The output is
 * byte for byte the UTF-8 of renderElixir's (test/unit/render-bytes.test.ts
 * compares the two on a wide random corpus): the shapes that dominate traces
 * (tuples, plain lists, improper lists, atoms, integers, pids, refs) are
 * written here with the same limit rules as elixir.ts; everything else
 * (maps, structs, binaries, charlists, keywords, floats, funs, ports) is
 * rendered by elixir.ts and its text copied in.
 */
import type { Atom, ErlRef, Term } from '../etf/term';
import { inspectAtomLiteral } from './elixir-atom';
import { isAsciiPrintableList } from './elixir-escape';
import { isKeyword, nodeNumber, render, type Ctx } from './elixir';

/** A growable byte buffer written from \`used\` on (ingest's text columns are one). */
export interface ByteOut {
  bytes: Uint8Array;
  used: number;
  /** Makes room for \`n\` more bytes after \`used\`; may replace \`bytes\` (with the same contents). */
  reserve(n: number): void;
}

const encoder = new TextEncoder();

/** Writes renderElixir(t)'s UTF-8 to \`o\`; \`c\` from elixirContext(options). */
export function renderElixirInto(t: Term, c: Ctx, o: ByteOut): void {
  put(t, c.limit, c, o);
}

function put(t: Term, limit: number, c: Ctx, o: ByteOut): void {
  if (typeof t === 'number') return int(o, t);
  if (typeof t === 'bigint' || t instanceof Uint8Array) return writeUtf8(o, render(t, limit, c));
  if (Array.isArray(t)) return list(t, limit, c, o);
  switch (t.t) {
    case 'atom':
      return atom(o, t, c.v118);
    case 'tuple':
      return items(o, 0x7b, t.items, 0x7d, limit, c);
    case 'improper':
      return improper(o, t.items, t.tail, limit, c);
    case 'pid':
      ascii(o, '#PID<');
      int(o, nodeNumber(t.node.name, c.opts));
      byte(o, 0x2e);
      int(o, t.id);
      byte(o, 0x2e);
      int(o, t.serial);
      return byte(o, 0x3e);
    case 'ref':
      return ref(o, t, c);
    default:
      return writeUtf8(o, render(t, limit, c));
  }
}

function list(xs: Term[], limit: number, c: Ctx, o: ByteOut): void {
  // elixir.ts's list(): charlists and keyword lists are its own.
  if (xs.length > 0) {
    if (c.charlists === 'as_charlists' || (c.charlists === 'infer' && isAsciiPrintableList(xs, c.printableLimit))) {
      if (xs.every((x) => typeof x === 'number')) return writeUtf8(o, render(xs, limit, c));
    }
    if (isKeyword(xs)) return writeUtf8(o, render(xs, limit, c));
  }
  items(o, 0x5b, xs, 0x5d, limit, c);
}

/** elixir-structs.ts's container(): \`open\`, items separated by \`, \`, \`...\` once \`limit\` runs out, \`close\`. */
function items(o: ByteOut, open: number, xs: readonly Term[], close: number, limit: number, c: Ctx): void {
  byte(o, open);
  for (let i = 0; i < xs.length; i++) {
    if (i > 0) comma(o);
    if (limit === 0) {
      ascii(o, '...');
      return byte(o, close);
    }
    limit--;
    put(xs[i]!, limit, c, o);
  }
  byte(o, close);
}

/** elixir.ts's improper(): the tail shares the last item's limit. */
function improper(o: ByteOut, xs: Term[], tail: Term, limit: number, c: Ctx): void {
  byte(o, 0x5b);
  for (let i = 0; i < xs.length; i++) {
    if (i > 0) comma(o);
    if (limit === 0) return ascii(o, '...]');
    limit--;
    put(xs[i]!, limit, c, o);
    if (i === xs.length - 1) {
      ascii(o, ' | ');
      put(tail, limit, c, o);
    }
  }
  byte(o, 0x5d);
}

/** \`#Reference<N.id...>\`, the id words last first. */
function ref(o: ByteOut, r: ErlRef, c: Ctx): void {
  ascii(o, '#Reference<');
  int(o, nodeNumber(r.node.name, c.opts));
  byte(o, 0x2e);
  const ids = r.ids;
  for (let i = ids.length - 1; i >= 0; i--) {
    if (i !== ids.length - 1) byte(o, 0x2e);
    int(o, ids[i]!);
  }
  byte(o, 0x3e);
}

/** Each atom's text as UTF-8, made once per rules (atoms are interned; a trace has few distinct ones): [1.14, 1.18]. */
const atomBytes = [new Map<Atom, Uint8Array>(), new Map<Atom, Uint8Array>()] as const;

function atom(o: ByteOut, a: Atom, v118: boolean): void {
  const cache = atomBytes[v118 ? 1 : 0];
  let b = cache.get(a);
  if (b === undefined) {
    if (cache.size >= 100_000) cache.clear();
    b = encoder.encode(inspectAtomLiteral(a.name, v118));
    cache.set(a, b);
  }
  o.reserve(b.length);
  const out = o.bytes;
  let p = o.used;
  for (let i = 0; i < b.length; i++) out[p++] = b[i]!;
  o.used = p;
}

/** A safe integer's decimal digits (String(n)); anything else through String. */
function int(o: ByteOut, n: number): void {
  if (n >= 0 && n <= 0xffffffff) return uint32(o, n);
  if (!Number.isSafeInteger(n)) return writeUtf8(o, String(n));
  o.reserve(17);
  const out = o.bytes;
  let p = o.used;
  if (n < 0) {
    out[p++] = 0x2d;
    n = -n;
  }
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let q = p + digits;
  o.used = q;
  do {
    const d = n % 10;
    out[--q] = 0x30 + d;
    n = (n - d) / 10;
  } while (n > 0);
}

/** The digits of an integer in 0..2^32-1 (ids, counters, ref words), in 32-bit arithmetic. */
function uint32(o: ByteOut, n: number): void {
  const digits =
    n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  o.reserve(digits);
  const out = o.bytes;
  let q = o.used + digits;
  o.used = q;
  let x = n >>> 0;
  do {
    const next = (x / 10) >>> 0;
    out[--q] = 0x30 + x - next * 10;
    x = next;
  } while (x > 0);
}

function byte(o: ByteOut, b: number): void {
  o.reserve(1);
  o.bytes[o.used++] = b;
}

function comma(o: ByteOut): void {
  o.reserve(2);
  const out = o.bytes;
  out[o.used] = 0x2c;
  out[o.used + 1] = 0x20;
  o.used += 2;
}

/** ASCII-only literal text of this module. */
function ascii(o: ByteOut, s: string): void {
  o.reserve(s.length);
  const out = o.bytes;
  let p = o.used;
  for (let i = 0; i < s.length; i++) out[p++] = s.charCodeAt(i);
  o.used = p;
}

/** Any text, as UTF-8 (the same bytes as TextEncoder's). */
export function writeUtf8(o: ByteOut, s: string): void {
  o.reserve(s.length * 3);
  const out = o.bytes;
  const at = o.used;
  let p = at;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch > 0x7f) {
      o.used = at + encoder.encodeInto(s, out.subarray(at)).written;
      return;
    }
    out[p++] = ch;
  }
  o.used = p;
}
