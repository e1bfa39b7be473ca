/**
 * The in-memory shape of a decoded Erlang term.
 *
 * Decoding millions of trace events must be cheap, so terms are plain values
 * and small tagged objects rather than class hierarchies:
 * - integers that fit a JS safe integer are `number`, larger ones `bigint`;
 * - a proper list is a JS array (STRING_EXT decodes to an array of numbers);
 * - a binary (whole bytes) is a `Uint8Array`;
 * - everything else is an object whose `t` field names its kind.
 * Floats are boxed so that `1.0` and `1` stay distinct, as they are in Erlang.
 */
export type Term =
  number | bigint | Uint8Array | Term[] | Atom | ErlFloat | ErlBitstring | ErlImproperList | ErlTuple | ErlMap | ErlPid | ErlPort | ErlRef | ErlFun | ErlExport;

/** Atoms are interned: `atom('ok') === atom('ok')`, so identity compares work. */
export interface Atom {
  readonly t: 'atom';
  readonly name: string;
}

export interface ErlFloat {
  readonly t: 'float';
  readonly value: number;
}

/** A binary whose bit length is not a multiple of 8; `bits` (1..8) counts the used bits of the last byte. */
export interface ErlBitstring {
  readonly t: 'bitstring';
  readonly bytes: Uint8Array;
  readonly bits: number;
}

export interface ErlImproperList {
  readonly t: 'improper';
  readonly items: Term[];
  readonly tail: Term;
}

export interface ErlTuple {
  readonly t: 'tuple';
  readonly items: Term[];
}

/** Map entries in the order they appear in the encoding. */
export interface ErlMap {
  readonly t: 'map';
  readonly entries: [Term, Term][];
}

export interface ErlPid {
  readonly t: 'pid';
  readonly node: Atom;
  readonly id: number;
  readonly serial: number;
  readonly creation: number;
}

export interface ErlPort {
  readonly t: 'port';
  readonly node: Atom;
  /** Port ids are 64-bit in V4_PORT_EXT; kept as a number while safe, else bigint. */
  readonly id: number | bigint;
  readonly creation: number;
}

export interface ErlRef {
  readonly t: 'ref';
  readonly node: Atom;
  readonly creation: number;
  /** The reference's id words, in encoding order (first word first). */
  readonly ids: number[];
}

/** A local fun (NEW_FUN_EXT, or the old FUN_EXT). */
export interface ErlFun {
  readonly t: 'fun';
  readonly module: Atom;
  readonly arity: number;
  /** OldIndex and OldUniq from the encoding; `index`/`uniq` are the new-style fields. */
  readonly oldIndex: number;
  readonly oldUniq: number;
  readonly index: number;
  readonly uniq: Uint8Array;
  readonly pid: Term;
  readonly freeVars: Term[];
}

/** An external fun, `&Mod.fun/arity` (EXPORT_EXT). */
export interface ErlExport {
  readonly t: 'export';
  readonly module: Atom;
  readonly fun: Atom;
  readonly arity: number;
}

const atoms = new Map<string, Atom>();

/** The interned atom with this name. */
export function atom(name: string): Atom {
  let a = atoms.get(name);
  if (a === undefined) {
    a = Object.freeze({ t: 'atom', name }) as Atom;
    atoms.set(name, a);
  }
  return a;
}

export function isAtom(x: Term, name?: string): x is Atom {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && !Array.isArray(x) && x.t === 'atom' && (name === undefined || x.name === name);
}

export function isTuple(x: Term, arity?: number): x is ErlTuple {
  return (
    typeof x === 'object' &&
    x !== null &&
    !(x instanceof Uint8Array) &&
    !Array.isArray(x) &&
    x.t === 'tuple' &&
    (arity === undefined || x.items.length === arity)
  );
}

export function isPid(x: Term): x is ErlPid {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && !Array.isArray(x) && x.t === 'pid';
}
