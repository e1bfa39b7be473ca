/**
 * A term_to_binary for tests: turns decoded terms back into ETF so tests and
 * the fuzzer can take a real chunk apart, change one field and put it back.
 * Written for clarity, not speed; recursion is fine for the shallow terms it
 * is given (chunk maps, facts).
 */
import type { Term } from '../../src/archive/etf/term';

class Out {
  parts: number[] = [];
  u8(...b: number[]) {
    for (const x of b) this.parts.push(x & 0xff);
  }
  u16(n: number) {
    this.u8(n >> 8, n);
  }
  u32(n: number) {
    this.u8(n >>> 24, n >>> 16, n >>> 8, n);
  }
  bytes(b: Uint8Array) {
    for (const x of b) this.parts.push(x);
  }
}

const utf8 = new TextEncoder();

function atomBytes(o: Out, name: string): void {
  const b = utf8.encode(name);
  if (b.length < 256) o.u8(119, b.length);
  else (o.u8(118), o.u16(b.length));
  o.bytes(b);
}

function bigint(o: Out, v: bigint): void {
  const sign = v < 0n ? 1 : 0;
  let m = v < 0n ? -v : v;
  const digits: number[] = [];
  while (m > 0n) (digits.push(Number(m & 0xffn)), (m >>= 8n));
  if (digits.length < 256) o.u8(110, digits.length, sign);
  else (o.u8(111), o.u32(digits.length), o.u8(sign));
  o.u8(...digits);
}

function encode(o: Out, t: Term): void {
  if (typeof t === 'number') {
    if (Number.isInteger(t) && t >= 0 && t < 256) o.u8(97, t);
    else if (Number.isInteger(t) && t >= -(2 ** 31) && t < 2 ** 31) (o.u8(98), o.u32(t));
    else bigint(o, BigInt(t));
    return;
  }
  if (typeof t === 'bigint') return bigint(o, t);
  if (t instanceof Uint8Array) return (o.u8(109), o.u32(t.length), o.bytes(t));
  if (Array.isArray(t)) {
    if (t.length === 0) return o.u8(106);
    o.u8(108);
    o.u32(t.length);
    for (const x of t) encode(o, x);
    return o.u8(106);
  }
  switch (t.t) {
    case 'atom':
      return atomBytes(o, t.name);
    case 'float': {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, t.value);
      o.u8(70);
      return o.bytes(new Uint8Array(b.buffer));
    }
    case 'bitstring':
      o.u8(77);
      o.u32(t.bytes.length);
      o.u8(t.bits);
      return o.bytes(t.bytes);
    case 'tuple':
      if (t.items.length < 256) o.u8(104, t.items.length);
      else (o.u8(105), o.u32(t.items.length));
      for (const x of t.items) encode(o, x);
      return;
    case 'improper':
      o.u8(108);
      o.u32(t.items.length);
      for (const x of t.items) encode(o, x);
      return encode(o, t.tail);
    case 'map':
      o.u8(116);
      o.u32(t.entries.length);
      for (const [k, v] of t.entries) (encode(o, k), encode(o, v));
      return;
    case 'pid':
      o.u8(88);
      atomBytes(o, t.node.name);
      return (o.u32(t.id), o.u32(t.serial), o.u32(t.creation));
    case 'port':
      o.u8(89);
      atomBytes(o, t.node.name);
      return (o.u32(Number(t.id)), o.u32(t.creation));
    case 'ref':
      o.u8(90);
      o.u16(t.ids.length);
      atomBytes(o, t.node.name);
      o.u32(t.creation);
      for (const id of t.ids) o.u32(id);
      return;
    case 'export':
      o.u8(113);
      atomBytes(o, t.module.name);
      atomBytes(o, t.fun.name);
      return o.u8(97, t.arity);
    case 'fun': {
      const body = new Out();
      body.u8(t.arity);
      body.bytes(t.uniq);
      body.u32(t.index);
      body.u32(t.freeVars.length);
      atomBytes(body, t.module.name);
      encode(body, t.oldIndex);
      encode(body, t.oldUniq);
      encode(body, t.pid);
      for (const x of t.freeVars) encode(body, x);
      o.u8(112);
      o.u32(body.parts.length + 4);
      return o.u8(...body.parts);
    }
  }
}

/** `term_to_binary(t)` (uncompressed, UTF-8 atoms). */
export function encodeTerm(t: Term): Uint8Array {
  const o = new Out();
  o.u8(131);
  encode(o, t);
  return new Uint8Array(o.parts);
}
