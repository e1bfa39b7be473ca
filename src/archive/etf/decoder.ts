/**
 * The decoding loop behind `decodeTerm` (see decode.ts for the contract).
 * One pass over the bytes with an explicit stack of open containers; small
 * helpers read the fixed-shape parts (atoms, pids, integers inside funs)
 * directly.
 */
import { inflateZlib } from './zlib-inflate';
import type { DecodeOptions } from './decode';
import { EtfError } from './etf-error';
import { Tag, tagName } from './tags';
import { atom } from './term';
import type { Atom, ErlFun, ErlPid, Term } from './term';
import { decodeUtf8 } from './utf8';

const Kind = { List: 0, Tuple: 1, Map: 2, Fun: 3 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** A container being filled; `n` counts the sub-terms still to come. */
interface Frame {
  kind: Kind;
  items: Term[];
  i: number;
  n: number;
  /** List: whether the tail is being read. Fun: the header fields. */
  tail: boolean;
  fun: Omit<ErlFun, 'pid' | 'freeVars'> | null;
  /** NEW_FUN_EXT: offset where the fun's Size field says it ends. */
  end: number;
}

// Floats are assembled in a scratch buffer in big-endian order, swapped on little-endian hosts.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// A direct-mapped cache from atom bytes to interned atoms, shared by all decodes.
const ATOM_CACHE_MASK = 4095;
const atomKeys: (Uint8Array | undefined)[] = new Array(ATOM_CACHE_MASK + 1);
const atomUtf8 = new Uint8Array(ATOM_CACHE_MASK + 1);
const atomValues: (Atom | undefined)[] = new Array(ATOM_CACHE_MASK + 1);

const FLOAT_STRING = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const MAX_REF_WORDS = 5;

export class Decoder {
  pos: number;

  constructor(
    readonly b: Uint8Array,
    pos: number,
    readonly opts: DecodeOptions | undefined,
    /** Added to positions in error messages when decoding an inflated buffer or a part of \`b\`. */
    readonly base: number,
    /** Where the input ends: the decoder reads nothing at or after it (a term inside a bigger buffer). */
    readonly end = b.length,
  ) {
    this.pos = pos;
  }

  fail(message: string, at = this.pos): never {
    throw new EtfError(message, at + this.base);
  }

  need(n: number, what: string): void {
    const left = this.end - this.pos;
    if (n > left) {
      this.fail(`expected ${n} byte${n === 1 ? '' : 's'} for ${what} at offset ${this.pos + this.base}, only ${left} left`);
    }
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.need(1, what);
    return this.b[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.b;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.b;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** A count of sub-terms, each at least `minBytes` long: rejects counts the input cannot hold. */
  count(n: number, minBytes: number, what: string): number {
    const left = this.end - this.pos;
    if (n * minBytes > left) {
      this.fail(`${what} claims ${n} elements but only ${left} bytes are left at offset ${this.pos + this.base}`);
    }
    return n;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const p = this.pos;
    this.pos = p + n;
    return this.opts?.copyBinaries ? this.b.slice(p, p + n) : this.b.subarray(p, p + n);
  }

  compressed(): Term {
    const at = this.pos;
    this.pos++; // tag
    const size = this.u32('COMPRESSED_EXT uncompressed size');
    const max = this.opts?.maxInflatedSize ?? 256 * 1024 * 1024;
    if (size > max) this.fail(`compressed term at offset ${at + this.base} claims ${size} bytes uncompressed, more than the ${max} allowed`, at);
    const inflate = this.opts?.inflate ?? inflateZlib;
    let raw: Uint8Array;
    try {
      raw = inflate(this.b.subarray(this.pos, this.end), size);
    } catch (e) {
      this.fail(`compressed term at offset ${at + this.base} does not inflate: ${(e as Error).message}`, at);
    }
    if (raw.length !== size) {
      this.fail(`compressed term at offset ${at + this.base} inflated to ${raw.length} bytes, header says ${size}`, at);
    }
    this.pos = this.end;
    // Errors inside the inflated bytes report offsets into the inflated data.
    const inner = new Decoder(raw, 0, this.opts, 0);
    const term = inner.term();
    if (inner.pos !== raw.length) inner.fail(`${raw.length - inner.pos} stray bytes after the compressed term`);
    return term;
  }

  atomAt(what: string): Atom {
    const at = this.pos;
    const tag = this.u8(what);
    switch (tag) {
      case Tag.SMALL_ATOM_UTF8:
        return this.atomBody(this.u8('SMALL_ATOM_UTF8_EXT length'), true, at);
      case Tag.ATOM_UTF8:
        return this.atomBody(this.u16('ATOM_UTF8_EXT length'), true, at);
      case Tag.SMALL_ATOM:
        return this.atomBody(this.u8('SMALL_ATOM_EXT length'), false, at);
      case Tag.ATOM:
        return this.atomBody(this.u16('ATOM_EXT length'), false, at);
      case Tag.ATOM_CACHE_REF:
        return this.cachedAtom(at);
      default:
        this.fail(`expected an atom for ${what} at offset ${at + this.base}, found ${tagName(tag)}`, at);
    }
  }

  atomBody(len: number, utf8: boolean, at: number): Atom {
    this.need(len, 'atom text');
    const b = this.b;
    const p = this.pos;
    const end = p + len;
    this.pos = end;
    // Most atoms repeat (module names, node names, tags): look the bytes up before building a string.
    let h = utf8 ? 0x811c9dc5 : 0x050c5d1f;
    for (let i = p; i < end; i++) h = Math.imul(h ^ b[i]!, 16777619);
    const slot = (h >>> 0) & ATOM_CACHE_MASK;
    const key = atomKeys[slot];
    if (key !== undefined && key.length === len && atomUtf8[slot] === (utf8 ? 1 : 0)) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (key[i] !== b[p + i]) {
          same = false;
          break;
        }
      }
      if (same) return atomValues[slot]!;
    }
    const a = this.atomText(p, end, utf8, at);
    atomKeys[slot] = b.slice(p, end);
    atomUtf8[slot] = utf8 ? 1 : 0;
    atomValues[slot] = a;
    return a;
  }

  atomText(p: number, end: number, utf8: boolean, at: number): Atom {
    const b = this.b;
    const len = end - p;
    // Latin-1 and ASCII bytes map straight to UTF-16 code units.
    let ascii = true;
    if (utf8) {
      for (let i = p; i < end; i++) {
        if (b[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
    }
    let name: string | null;
    if (ascii) {
      name = len <= 16 ? latin1Short(b, p, end) : String.fromCharCode.apply(null, b.subarray(p, end) as unknown as number[]);
    } else {
      name = decodeUtf8(b, p, end);
      if (name === null) this.fail(`invalid UTF-8 in atom at offset ${at + this.base}`, at);
    }
    if (len > 255 && [...name].length > 255) this.fail(`atom at offset ${at + this.base} is longer than 255 characters`, at);
    return atom(name);
  }

  cachedAtom(at: number): Atom {
    const index = this.u8('ATOM_CACHE_REF_EXT index');
    const cache = this.opts?.atomCache;
    if (cache === undefined) {
      this.fail(`ATOM_CACHE_REF_EXT at offset ${at + this.base} needs the distribution header's atom cache (options.atomCache)`, at);
    }
    const a = cache[index];
    if (a === undefined) this.fail(`ATOM_CACHE_REF_EXT at offset ${at + this.base} refers to empty cache slot ${index}`, at);
    return a;
  }

  /** A small non-negative integer written as an integer term (fun indexes and arities). */
  intAt(what: string): number {
    const at = this.pos;
    const tag = this.u8(what);
    if (tag === Tag.SMALL_INTEGER) return this.u8(what);
    if (tag === Tag.INTEGER) return this.u32(what) | 0;
    if (tag === Tag.SMALL_BIG) {
      const v = this.big(this.u8('SMALL_BIG_EXT length'));
      if (typeof v === 'number') return v;
    }
    this.fail(`expected an integer for ${what} at offset ${at + this.base}, found ${tagName(tag)}`, at);
  }

  pidAt(what: string): ErlPid {
    const at = this.pos;
    const tag = this.u8(what);
    if (tag !== Tag.PID && tag !== Tag.NEW_PID) {
      this.fail(`expected a pid for ${what} at offset ${at + this.base}, found ${tagName(tag)}`, at);
    }
    return this.pid(tag);
  }

  pid(tag: number): ErlPid {
    const node = this.atomAt('pid node');
    const id = this.u32('pid id');
    const serial = this.u32('pid serial');
    const creation = tag === Tag.PID ? this.u8('PID_EXT creation') : this.u32('NEW_PID_EXT creation');
    return { t: 'pid', node, id, serial, creation };
  }

  big(n: number): number | bigint {
    const sign = this.u8('bignum sign');
    this.need(n, 'bignum digits');
    const b = this.b;
    const p = this.pos;
    this.pos = p + n;
    if (sign > 1) this.fail(`bignum sign byte must be 0 or 1, found ${sign}`, p - 1);
    // Up to 6 bytes (48 bits) the value is exact in a double.
    let top = n;
    while (top > 0 && b[p + top - 1] === 0) top--;
    if (top <= 6) {
      let v = 0;
      for (let i = top - 1; i >= 0; i--) v = v * 256 + b[p + i]!;
      return sign && v !== 0 ? -v : v;
    }
    let hex = '';
    for (let i = top - 1; i >= 0; i--) hex += HEX[b[p + i]!];
    let v = BigInt('0x' + hex);
    if (sign) v = -v;
    return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
  }

  oldFloat(): Term {
    const at = this.pos - 1;
    this.need(31, 'FLOAT_EXT text');
    const b = this.b;
    let s = '';
    for (let i = this.pos; i < this.pos + 31 && b[i] !== 0; i++) s += String.fromCharCode(b[i]!);
    this.pos += 31;
    s = s.trim();
    const v = Number(s);
    if (!FLOAT_STRING.test(s) || !Number.isFinite(v)) this.fail(`FLOAT_EXT at offset ${at + this.base} is not a float: ${JSON.stringify(s)}`, at);
    return { t: 'float', value: v };
  }

  newFloat(): Term {
    const at = this.pos - 1;
    this.need(8, 'NEW_FLOAT_EXT');
    const b = this.b;
    const p = this.pos;
    for (let i = 0; i < 8; i++) f64Bytes[littleEndian ? 7 - i : i] = b[p + i]!;
    this.pos = p + 8;
    const value = f64[0]!;
    if (!Number.isFinite(value)) this.fail(`NEW_FLOAT_EXT at offset ${at + this.base} is not finite`, at);
    return { t: 'float', value };
  }

  /** Decode the term at `pos`, iterating over containers with an explicit stack. */
  term(): Term {
    // Frames are reused from one term to the next (FRAMES): decoding a chunk's terms made one per container.
    const stack = FRAMES;
    let sp = 0;
    let value: Term;
    for (;;) {
      const at = this.pos;
      const tag = this.u8('a term tag');
      switch (tag) {
        case Tag.SMALL_INTEGER:
          value = this.u8('SMALL_INTEGER_EXT');
          break;
        case Tag.INTEGER:
          value = this.u32('INTEGER_EXT') | 0;
          break;
        case Tag.SMALL_ATOM_UTF8:
        case Tag.ATOM_UTF8:
        case Tag.SMALL_ATOM:
        case Tag.ATOM:
        case Tag.ATOM_CACHE_REF:
          this.pos = at;
          value = this.atomAt('an atom');
          break;
        case Tag.NIL:
          value = [];
          break;
        case Tag.SMALL_TUPLE:
        case Tag.LARGE_TUPLE: {
          const n = this.count(tag === Tag.SMALL_TUPLE ? this.u8('SMALL_TUPLE_EXT arity') : this.u32('LARGE_TUPLE_EXT arity'), 1, 'tuple');
          if (n === 0) {
            value = { t: 'tuple', items: [] };
            break;
          }
          open(stack, sp++, Kind.Tuple, n, n);
          continue;
        }
        case Tag.LIST: {
          const n = this.count(this.u32('LIST_EXT length'), 1, 'LIST_EXT');
          if (this.pos >= this.end) this.need(1, 'LIST_EXT tail');
          // A list as another list's tail (crafted input: `[a | [b | [c | ...]]]` as nested LIST_EXT) continues
          // that list's frame: building each level and concatenating it into the outer one was quadratic.
          const top = sp > 0 ? stack[sp - 1] : undefined;
          if (top !== undefined && top.kind === Kind.List && top.tail) {
            top.n = n;
            top.tail = n === 0;
            continue;
          }
          const f = open(stack, sp++, Kind.List, n, n);
          if (n === 0) f.tail = true;
          continue;
        }
        case Tag.STRING: {
          const n = this.u16('STRING_EXT length');
          this.need(n, 'STRING_EXT characters');
          const b = this.b;
          const p = this.pos;
          const chars = new Array<number>(n);
          for (let i = 0; i < n; i++) chars[i] = b[p + i]!;
          this.pos = p + n;
          value = chars;
          break;
        }
        case Tag.MAP: {
          const n = this.count(this.u32('MAP_EXT arity'), 2, 'MAP_EXT');
          if (n === 0) {
            value = { t: 'map', entries: [] };
            break;
          }
          open(stack, sp++, Kind.Map, 2 * n, 2 * n);
          continue;
        }
        case Tag.BINARY:
          value = this.bytes(this.u32('BINARY_EXT length'), 'BINARY_EXT data');
          break;
        case Tag.BIT_BINARY: {
          const n = this.u32('BIT_BINARY_EXT length');
          const bits = this.u8('BIT_BINARY_EXT bits');
          if (n === 0 ? bits !== 0 : bits < 1 || bits > 8) {
            this.fail(`BIT_BINARY_EXT at offset ${at + this.base} has ${bits} bits in the last of ${n} bytes`, at);
          }
          const data = this.bytes(n, 'BIT_BINARY_EXT data');
          value = bits === 8 || n === 0 ? data : { t: 'bitstring', bytes: data, bits };
          break;
        }
        case Tag.NEW_FLOAT:
          value = this.newFloat();
          break;
        case Tag.FLOAT:
          value = this.oldFloat();
          break;
        case Tag.SMALL_BIG:
          value = this.big(this.u8('SMALL_BIG_EXT length'));
          break;
        case Tag.LARGE_BIG:
          value = this.big(this.u32('LARGE_BIG_EXT length'));
          break;
        case Tag.PID:
        case Tag.NEW_PID:
          value = this.pid(tag);
          break;
        case Tag.PORT:
        case Tag.NEW_PORT:
        case Tag.V4_PORT: {
          const node = this.atomAt('port node');
          let id: number | bigint;
          if (tag === Tag.V4_PORT) {
            const hi = this.u32('V4_PORT_EXT id');
            const lo = this.u32('V4_PORT_EXT id');
            id = hi < 0x200000 ? hi * 0x100000000 + lo : (BigInt(hi) << 32n) | BigInt(lo);
          } else {
            id = this.u32('port id');
          }
          const creation = tag === Tag.PORT ? this.u8('PORT_EXT creation') : this.u32('port creation');
          value = { t: 'port', node, id, creation };
          break;
        }
        case Tag.REFERENCE: {
          const node = this.atomAt('REFERENCE_EXT node');
          const id = this.u32('REFERENCE_EXT id');
          const creation = this.u8('REFERENCE_EXT creation');
          value = { t: 'ref', node, creation, ids: [id] };
          break;
        }
        case Tag.NEW_REFERENCE:
        case Tag.NEWER_REFERENCE: {
          const len = this.u16('reference length');
          if (len < 1 || len > MAX_REF_WORDS) this.fail(`${tagName(tag)} at offset ${at + this.base} has ${len} id words (1..${MAX_REF_WORDS} allowed)`, at);
          const node = this.atomAt('reference node');
          const creation = tag === Tag.NEW_REFERENCE ? this.u8('NEW_REFERENCE_EXT creation') : this.u32('NEWER_REFERENCE_EXT creation');
          this.need(4 * len, 'reference id words');
          const ids = new Array<number>(len);
          for (let i = 0; i < len; i++) ids[i] = this.u32('reference id');
          value = { t: 'ref', node, creation, ids };
          break;
        }
        case Tag.EXPORT: {
          const module = this.atomAt('EXPORT_EXT module');
          const fun = this.atomAt('EXPORT_EXT function');
          const arity = this.intAt('EXPORT_EXT arity');
          value = { t: 'export', module, fun, arity };
          break;
        }
        case Tag.NEW_FUN: {
          const size = this.u32('NEW_FUN_EXT size');
          if (size < 4 || at + 1 + size > this.end) this.fail(`NEW_FUN_EXT at offset ${at + this.base} claims ${size} bytes`, at);
          const arity = this.u8('NEW_FUN_EXT arity');
          const uniq = this.bytes(16, 'NEW_FUN_EXT uniq');
          const index = this.u32('NEW_FUN_EXT index');
          const numFree = this.count(this.u32('NEW_FUN_EXT free variable count'), 1, 'NEW_FUN_EXT free variables');
          const module = this.atomAt('NEW_FUN_EXT module');
          const oldIndex = this.intAt('NEW_FUN_EXT old index');
          const oldUniq = this.intAt('NEW_FUN_EXT old uniq');
          const f = open(stack, sp++, Kind.Fun, 1 + numFree, 1 + numFree);
          f.fun = { t: 'fun', module, arity, oldIndex, oldUniq, index, uniq };
          f.end = at + 1 + size;
          continue;
        }
        case Tag.FUN: {
          const numFree = this.count(this.u32('FUN_EXT free variable count'), 1, 'FUN_EXT free variables');
          const pid = this.pidAt('FUN_EXT pid');
          const module = this.atomAt('FUN_EXT module');
          const index = this.intAt('FUN_EXT index');
          const oldUniq = this.intAt('FUN_EXT uniq');
          const fun: ErlFun = { t: 'fun', module, arity: -1, oldIndex: index, oldUniq, index, uniq: new Uint8Array(16), pid, freeVars: [] };
          if (numFree === 0) {
            value = fun;
            break;
          }
          const f = open(stack, sp++, Kind.Fun, numFree + 1, numFree);
          f.items[0] = pid;
          f.i = 1;
          f.fun = fun;
          f.end = -1;
          continue;
        }
        case Tag.LOCAL:
          this.need(8, 'LOCAL_EXT hash');
          this.pos += 8;
          continue;
        case Tag.COMPRESSED:
          this.fail(`compressed term inside another term at offset ${at + this.base}`, at);
        // eslint-disable-next-line no-fallthrough
        default:
          this.fail(`unknown ${tagName(tag)} at offset ${at + this.base}`, at);
      }

      // Hand the finished value to the containers waiting for it.
      for (;;) {
        if (sp === 0) return value;
        const f = stack[sp - 1];
        if (f.kind === Kind.List) {
          if (!f.tail) {
            f.items[f.i++] = value;
            if (--f.n === 0) f.tail = true;
            break;
          }
          sp--;
          value = withTail(f.items, value);
          f.items = NO_ITEMS;
          continue;
        }
        f.items[f.i++] = value;
        if (--f.n > 0) break;
        sp--;
        value = finish(this, f);
        f.items = NO_ITEMS;
        f.fun = null;
      }
    }
  }
}

/**
 * The open containers of the term being decoded, reused by every decode (the decoder never decodes a term inside
 * another's decoding): \`open\` takes the frame at depth \`at\`. A closed frame lets go of its items (NO_ITEMS), so
 * a pooled frame keeps no term alive.
 */
const FRAMES: Frame[] = [];
const NO_ITEMS: Term[] = [];

function open(stack: Frame[], at: number, kind: Kind, size: number, n: number): Frame {
  const items = new Array<Term>(size);
  if (at === stack.length) {
    const f: Frame = { kind, items, i: 0, n, tail: false, fun: null, end: -1 };
    stack.push(f);
    return f;
  }
  const f = stack[at]!;
  f.kind = kind;
  f.items = items;
  f.i = 0;
  f.n = n;
  f.tail = false;
  f.fun = null;
  f.end = -1;
  return f;
}

/** `[items | tail]`, flattened when the tail is itself a list (crafted encodings may nest LIST_EXT in the tail). */
function withTail(items: Term[], tail: Term): Term {
  if (Array.isArray(tail)) return tail.length === 0 ? items : items.concat(tail);
  if (typeof tail === 'object' && !(tail instanceof Uint8Array) && tail.t === 'improper') {
    return { t: 'improper', items: items.concat(tail.items), tail: tail.tail };
  }
  return { t: 'improper', items, tail };
}

function finish(d: Decoder, f: Frame): Term {
  switch (f.kind) {
    case Kind.Tuple:
      return { t: 'tuple', items: f.items };
    case Kind.Map: {
      const items = f.items;
      const entries = new Array<[Term, Term]>(items.length >> 1);
      for (let i = 0; i < entries.length; i++) entries[i] = [items[2 * i]!, items[2 * i + 1]!];
      return { t: 'map', entries };
    }
    default: {
      if (f.end >= 0 && d.pos !== f.end) {
        d.fail(`NEW_FUN_EXT size says it ends at offset ${f.end + d.base}, but it ends at ${d.pos + d.base}`);
      }
      return { ...f.fun!, pid: f.items[0]!, freeVars: f.items.slice(1) };
    }
  }
}

function latin1Short(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;
