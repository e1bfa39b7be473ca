import { renderElixir } from '../../archive/render/elixir';
import { isAtom, isPid, type Term } from '../../archive/etf/term';
import type { Mfa } from '../../archive/trace-event';

/**
 * How terms become the TEXT columns of docs/SCHEMA.md. Terms that readers
 * share by identity (the archive interns them per chunk) are rendered once.
 */
export class TermText {
  private readonly cache = new WeakMap<object, string>();

  term(t: Term): string {
    if (typeof t !== 'object') return renderElixir(t);
    const cached = this.cache.get(t);
    if (cached !== undefined) return cached;
    const s = renderElixir(t);
    this.cache.set(t, s);
    return s;
  }

  /** Canonical process text: `<0.ID.SERIAL>` for pids, inspect text for anything else (ports, names). */
  pid(t: Term): string {
    if (isPid(t)) return `<0.${t.id}.${t.serial}>`;
    return this.term(t);
  }

  /** The node a pid, port or ref lives on; `{name, node}` destinations name theirs. */
  nodeOf(t: Term, fallback: string): string {
    if (typeof t === 'object' && t !== null && !Array.isArray(t) && !(t instanceof Uint8Array)) {
      if (t.t === 'pid' || t.t === 'port' || t.t === 'ref') return t.node.name;
      if (t.t === 'tuple' && t.items.length === 2 && isAtom(t.items[1])) return t.items[1].name;
    }
    return fallback;
  }

  mfa(m: Mfa): string {
    return `${renderElixir(m[0])}.${m[1].name}/${m[2]}`;
  }
}
