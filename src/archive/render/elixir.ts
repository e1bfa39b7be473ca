/**
 * `renderElixir(t)` is Elixir 1.14's `inspect(t)` with default options,
 * character for character, for terms decoded from the trace (tested against
 * inspect output of the real runtime in test/fixtures/terms). inspect's pretty
 * printer never breaks lines by default (`pretty: false`), so neither do we.
 *
 * What the bytes alone cannot tell is asked through RenderOptions: the table
 * index of remote nodes, fun names, field orders of application structs.
 * Nesting is rendered recursively; with the default limit that depth is at
 * most 50, with `limit: Infinity` it is the term's depth.
 */
import type { ErlFun, ErlMap, Term } from '../etf/term';
import { isAtom } from '../etf/term';
import { inspectAtomKey, inspectAtomLiteral, inspectAtomRemoteCall } from './elixir-atom';
import { binaryCodePoints, escapeCodePoints, isAsciiPrintableList, isPrintableBinary } from './elixir-escape';
import { container, renderStruct } from './elixir-structs';
import { formatElixirFloat } from './float';
import type { RenderOptions } from './options';

export type { RenderOptions } from './options';

/** RenderOptions with their defaults filled in, made once per set of options (see elixir-bytes.ts). */
export interface Ctx {
  printableLimit: number;
  charlists: 'as_lists' | 'as_charlists' | 'infer';
  sigil: boolean;
  /** Elixir 1.18's rules (RenderOptions.elixir118). */
  v118: boolean;
  /** The limit at the top of a term. */
  limit: number;
  opts: RenderOptions;
}

export function elixirContext(opts: RenderOptions = {}): Ctx {
  return {
    printableLimit: opts.printableLimit ?? 4096,
    charlists: opts.charlists ?? 'infer',
    sigil: opts.sigilCharlists ?? false,
    v118: opts.elixir118 ?? false,
    limit: opts.limit ?? 50,
    opts,
  };
}

export function renderElixir(t: Term, opts: RenderOptions = {}): string {
  const ctx = elixirContext(opts);
  return render(t, ctx.limit, ctx);
}

/** The node part of `#PID<N.id.serial>` (see RenderOptions.localNode). */
export function nodeNumber(node: string, opts: RenderOptions): number {
  if (opts.localNode === undefined || node === opts.localNode) return 0;
  return opts.nodeIndex?.(node) ?? 0;
}

/**
 * Map entries in the order the runtime lists them (`:maps.to_list/1`, which inspect and ~p follow): the order
 * `term_to_binary` wrote them in. On OTP 25 and older that is term order up to 32 keys and hash order past them;
 * from OTP 26 on, maps of up to 32 keys keep atom keys in the order the atoms were created (`%{error: 5, ok: 4, a: 2}`),
 * which only the encoding can tell. Sorting here printed 61 of the 369 fixture terms of OTP 27 in the wrong order.
 */
export function mapEntries(m: ErlMap): [Term, Term][] {
  return m.entries;
}

/** `t` with \`limit\` items left per collection (what renderElixir does below the top). */
export function render(t: Term, limit: number, c: Ctx): string {
  if (typeof t === 'number') return String(t);
  if (typeof t === 'bigint') return t.toString();
  if (t instanceof Uint8Array) return binary(t, limit, c);
  if (Array.isArray(t)) return list(t, limit, c);
  switch (t.t) {
    case 'atom':
      return inspectAtomLiteral(t.name, c.v118);
    case 'float':
      return formatElixirFloat(t.value);
    case 'bitstring':
      return bits(t.bytes, t.bits, limit);
    case 'improper':
      return improper(t.items, t.tail, limit, c);
    case 'tuple':
      return container('{', t.items, '}', limit, (x, l) => render(x, l, c));
    case 'map':
      return map(t, limit, c);
    case 'pid':
      return `#PID<${nodeNumber(t.node.name, c.opts)}.${t.id}.${t.serial}>`;
    case 'port':
      return `#Port<${nodeNumber(t.node.name, c.opts)}.${t.id}>`;
    case 'ref':
      return `#Reference<${nodeNumber(t.node.name, c.opts)}.${refIds(t.ids)}>`;
    case 'export':
      return `&${inspectAtomLiteral(t.module.name, c.v118)}.${inspectAtomRemoteCall(t.fun.name, c.v118)}/${t.arity}`;
    case 'fun':
      return fun(t, c);
  }
}

/** A reference's id words, last first, dot-separated (without copying the array: one per reference rendered). */
function refIds(ids: number[]): string {
  let out = '';
  for (let i = ids.length - 1; i >= 0; i--) out += i === ids.length - 1 ? String(ids[i]) : '.' + ids[i];
  return out;
}

function binary(b: Uint8Array, limit: number, c: Ctx): string {
  if (isPrintableBinary(b, c.printableLimit)) {
    const { text, truncated } = escapeCodePoints(binaryCodePoints(b), 0x22, c.printableLimit, c.v118);
    return truncated ? `"${text}" <> ...` : `"${text}"`;
  }
  return bits(b, 8, limit);
}

/** Inspect.BitString's each_bit: bytes up to the limit, then the partial last byte as `n::size(k)`. */
function bits(bytes: Uint8Array, lastBits: number, limit: number): string {
  if (bytes.length === 0) return '<<>>';
  let out = '<<';
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    if (limit === 0) return out + '...>>';
    const last = i === n - 1;
    if (last && lastBits !== 8) return out + `${bytes[i]! >> (8 - lastBits)}::size(${lastBits})>>`;
    out += String(bytes[i]);
    if (!last) out += ', ';
    limit--;
  }
  return out + '>>';
}

function charlist(items: readonly number[], c: Ctx): string {
  const q = c.sigil ? 0x22 : 0x27;
  const { text, truncated } = escapeCodePoints(items, q, c.printableLimit);
  const lit = c.sigil ? `~c"${text}"` : `'${text}'`;
  return truncated ? `${lit} ++ ...` : lit;
}

export function isKeyword(items: readonly Term[]): boolean {
  for (const x of items) {
    if (typeof x !== 'object' || Array.isArray(x) || x instanceof Uint8Array || x.t !== 'tuple' || x.items.length !== 2) return false;
    const k = x.items[0]!;
    if (!isAtom(k) || k.name.startsWith('Elixir.')) return false;
  }
  return true;
}

function keywordEntry(k: Term, v: Term, limit: number, c: Ctx): string {
  return `${inspectAtomKey((k as { name: string }).name, c.v118)} ${render(v, limit, c)}`;
}

function list(items: Term[], limit: number, c: Ctx): string {
  if (items.length === 0) return '[]';
  if (c.charlists === 'as_charlists' || (c.charlists === 'infer' && isAsciiPrintableList(items, c.printableLimit))) {
    if (items.every((x) => typeof x === 'number')) return charlist(items as number[], c);
  }
  if (isKeyword(items)) {
    return container('[', items, ']', limit, (x, l) => {
      const [k, v] = (x as { items: Term[] }).items as [Term, Term];
      return keywordEntry(k, v, l, c);
    });
  }
  return container('[', items, ']', limit, (x, l) => render(x, l, c));
}

function improper(items: Term[], tail: Term, limit: number, c: Ctx): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ', ';
    if (limit === 0) return out + '...]';
    limit--;
    out += render(items[i]!, limit, c);
    if (i === items.length - 1) out += ` | ${render(tail, limit, c)}`;
  }
  return out + ']';
}

function map(m: ErlMap, limit: number, c: Ctx): string {
  const entries = mapEntries(m);
  const struct = m.entries.find(([k]) => isAtom(k, '__struct__'));
  if (struct !== undefined && isAtom(struct[1])) {
    const module = struct[1].name;
    const s = renderStruct(
      module,
      m,
      limit,
      (t, l, asLists) => render(t, l, asLists ? { ...c, charlists: 'as_lists' } : c),
      inspectAtomLiteral(module, c.v118),
      c.opts.structFields,
      (inner) => mapEntries(inner).map(([k]) => k),
      c.v118,
    );
    if (s !== null) return s;
  }
  if (isKeyword(entries.map(([k]) => ({ t: 'tuple', items: [k, 0] }) as Term))) {
    return container('%{', entries, '}', limit, ([k, v], l) => keywordEntry(k, v, l, c));
  }
  return container('%{', entries, '}', limit, ([k, v], l) => `${render(k, l, c)} => ${render(v, l, c)}`);
}

/** `Code.Identifier.extract_anonymous_fun_parent/1`: `-handle/2-fun-0-` is `handle/2`. */
function funParent(name: string, v118: boolean): string {
  if (name.startsWith('-')) {
    const parts = name.slice(1).split('/');
    const trailing = parts.pop()!.split('-');
    if (parts.length > 0 && trailing.length === 4 && trailing[3] === '') {
      return `.${inspectAtomRemoteCall(parts.join('/'), v118)}/${trailing[0]}`;
    }
  }
  return '.' + inspectAtomRemoteCall(name, v118);
}

function fun(f: ErlFun, c: Ctx): string {
  const name = c.opts.funName?.(f);
  const where = inspectAtomLiteral(f.module.name, c.v118) + (name === undefined ? '' : funParent(name, c.v118));
  return `#Function<${f.index}.${f.oldUniq}/${f.arity} in ${where}>`;
}
