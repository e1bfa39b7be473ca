import type { Term } from '../../archive/etf/term';

/**
 * Exact term equality (Erlang `=:=`) and an identity string for map keys,
 * both walking the term with an explicit stack: the decoder accepts terms
 * nested a million deep, and two such states compared with recursion threw
 * `RangeError: Maximum call stack size exceeded`, rejecting the whole file.
 *
 * Map keys are matched through `termKey`, in which a map nested inside a key
 * lists its entries in encoding order; the runtime encodes equal maps in the
 * same order (the order the node keeps their keys in), so this only matters
 * for hand-made input.
 */
export function termEquals(a: Term, b: Term): boolean {
  const left: Term[] = [a];
  const right: Term[] = [b];
  while (left.length > 0) {
    const x = left.pop()!;
    const y = right.pop()!;
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (x instanceof Uint8Array || y instanceof Uint8Array) {
      if (!(x instanceof Uint8Array && y instanceof Uint8Array) || !sameBytes(x, y)) return false;
      continue;
    }
    if (Array.isArray(x) || Array.isArray(y)) {
      if (!(Array.isArray(x) && Array.isArray(y)) || x.length !== y.length) return false;
      pushPairs(left, right, x, y);
      continue;
    }
    if (x.t !== y.t) return false;
    switch (x.t) {
      case 'atom':
        return false; // interned: identity already compared
      case 'float':
        if (x.value !== (y as typeof x).value) return false;
        break;
      case 'bitstring': {
        const w = y as typeof x;
        if (x.bits !== w.bits || !sameBytes(x.bytes, w.bytes)) return false;
        break;
      }
      case 'tuple': {
        const w = y as typeof x;
        if (x.items.length !== w.items.length) return false;
        pushPairs(left, right, x.items, w.items);
        break;
      }
      case 'improper': {
        const w = y as typeof x;
        if (x.items.length !== w.items.length) return false;
        pushPairs(left, right, x.items, w.items);
        left.push(x.tail);
        right.push(w.tail);
        break;
      }
      case 'map': {
        const w = y as typeof x;
        if (x.entries.length !== w.entries.length) return false;
        const index = new Map<string, Term>();
        for (const [k, v] of w.entries) index.set(termKey(k), v);
        for (const [k, v] of x.entries) {
          const other = index.get(termKey(k));
          if (other === undefined) return false;
          left.push(v);
          right.push(other);
        }
        break;
      }
      case 'pid': {
        const w = y as typeof x;
        if (x.node !== w.node || x.id !== w.id || x.serial !== w.serial || x.creation !== w.creation) return false;
        break;
      }
      case 'port': {
        const w = y as typeof x;
        if (x.node !== w.node || x.id !== w.id || x.creation !== w.creation) return false;
        break;
      }
      case 'ref': {
        const w = y as typeof x;
        if (x.node !== w.node || x.creation !== w.creation || x.ids.length !== w.ids.length || x.ids.some((id, i) => id !== w.ids[i])) return false;
        break;
      }
      case 'export': {
        const w = y as typeof x;
        if (x.module !== w.module || x.fun !== w.fun || x.arity !== w.arity) return false;
        break;
      }
      case 'fun': {
        const w = y as typeof x;
        if (
          x.module !== w.module ||
          x.arity !== w.arity ||
          x.index !== w.index ||
          x.oldIndex !== w.oldIndex ||
          x.oldUniq !== w.oldUniq ||
          !sameBytes(x.uniq, w.uniq) ||
          x.freeVars.length !== w.freeVars.length
        )
          return false;
        left.push(x.pid);
        right.push(w.pid);
        pushPairs(left, right, x.freeVars, w.freeVars);
        break;
      }
    }
  }
  return true;
}

function pushPairs(left: Term[], right: Term[], xs: readonly Term[], ys: readonly Term[]): void {
  for (let i = xs.length - 1; i >= 0; i--) {
    left.push(xs[i]);
    right.push(ys[i]);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A marker closing a container in `termKey`'s work stack. */
const CLOSE = Symbol('close');

/**
 * A string that is the same for two terms exactly when they are `=:=` (up to
 * the map ordering noted above): a map key's identity. Atoms and integers,
 * the usual keys, get short forms.
 */
export function termKey(t: Term): string {
  if (typeof t === 'number') return `n:${t}`;
  if (typeof t === 'object' && !Array.isArray(t) && !(t instanceof Uint8Array) && t.t === 'atom') return `a:${t.name}`;
  let out = '';
  const work: (Term | typeof CLOSE)[] = [t];
  const open = (tag: string, items: readonly Term[]) => {
    out += `${tag}${items.length}(`;
    work.push(CLOSE);
    for (let i = items.length - 1; i >= 0; i--) work.push(items[i]);
  };
  while (work.length > 0) {
    const x = work.pop()!;
    if (x === CLOSE) {
      out += ')';
      continue;
    }
    if (typeof x === 'number') out += `n${x};`;
    else if (typeof x === 'bigint') out += `n${x};`;
    else if (x instanceof Uint8Array) out += `y${bytesKey(x)};`;
    else if (Array.isArray(x)) open('l', x);
    else
      switch (x.t) {
        case 'atom':
          out += `a${x.name.length}:${x.name}`;
          break;
        case 'float':
          out += `f${x.value};`;
          break;
        case 'bitstring':
          out += `s${x.bits}:${bytesKey(x.bytes)};`;
          break;
        case 'tuple':
          open('t', x.items);
          break;
        case 'improper':
          open('i', [...x.items, x.tail]);
          break;
        case 'map':
          open(
            'm',
            x.entries.flatMap((e) => e),
          );
          break;
        case 'pid':
          out += `p${x.node.name.length}:${x.node.name}.${x.id}.${x.serial}.${x.creation};`;
          break;
        case 'port':
          out += `o${x.node.name.length}:${x.node.name}.${x.id}.${x.creation};`;
          break;
        case 'ref':
          out += `r${x.node.name.length}:${x.node.name}.${x.creation}.${x.ids.join('.')};`;
          break;
        case 'export':
          out += `e${x.module.name.length}:${x.module.name}${x.fun.name.length}:${x.fun.name}/${x.arity};`;
          break;
        case 'fun':
          out += `u${x.module.name.length}:${x.module.name}/${x.arity}.${x.index}.${x.oldIndex}.${x.oldUniq}.${bytesKey(x.uniq)}`;
          open('v', [x.pid, ...x.freeVars]);
          break;
      }
  }
  return out;
}

function bytesKey(b: Uint8Array): string {
  let s = `${b.length}:`;
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
}
