import { inspectAtomRemoteCall } from '../../archive/render/elixir-atom';
import { elixirContext, renderElixir, type Ctx } from '../../archive/render/elixir';
import { renderElixirInto, writeUtf8, type ByteOut } from '../../archive/render/elixir-bytes';
import type { RenderOptions } from '../../archive/render/options';
import { isAtom, isPid, type Term } from '../../archive/etf/term';
import type { Mfa } from '../../archive/trace-event';

/**
 * The rendering of a term, cached on the term object itself. Readers share
 * term objects by identity (the archive interns them per chunk), so each is
 * rendered once. A symbol property rather than a WeakMap: with a million
 * entries the WeakMap's ephemeron bookkeeping dominated garbage collection.
 */
const TEXT = Symbol('otpscope.text');
const PID_TEXT = Symbol('otpscope.pidText');

type Cached = { [TEXT]?: string; [PID_TEXT]?: string };

/** How terms become the TEXT columns of docs/SCHEMA.md. */
export class TermText {
  /** @param render how this source's terms print (e.g. charlists as its node's Elixir version writes them) */
  constructor(private readonly render: RenderOptions = {}) {
    this.ctx = elixirContext(render);
  }

  private readonly ctx: Ctx;

  term(t: Term): string {
    if (typeof t !== 'object') return renderElixir(t, this.render);
    const c = t as Cached;
    const cached = c[TEXT];
    if (cached !== undefined) return cached;
    const s = renderElixir(t, this.render);
    if (Object.isExtensible(t)) c[TEXT] = s;
    return s;
  }

  /**
   * The rendering of a term its caller keeps itself (a chunk table's entry, rendered once per chunk): not cached
   * on the object, whose extra property would cost an allocation per term and be read by no one.
   */
  termOnce(t: Term): string {
    const cached = typeof t === 'object' ? (t as Cached)[TEXT] : undefined;
    return cached ?? renderElixir(t, this.render);
  }

  /** The UTF-8 of \`termOnce(t)\` written to \`out\`, for a text that only goes into a column (no string made). */
  termInto(t: Term, out: ByteOut): void {
    const cached = typeof t === 'object' ? (t as Cached)[TEXT] : undefined;
    if (cached !== undefined) writeUtf8(out, cached);
    else renderElixirInto(t, this.ctx, out);
  }

  /** Canonical process text: `<0.ID.SERIAL>` for pids, inspect text for anything else (ports, names). */
  pid(t: Term): string {
    if (!isPid(t)) return this.term(t);
    const c = t as Cached;
    const cached = c[PID_TEXT];
    if (cached !== undefined) return cached;
    const s = `<0.${t.id}.${t.serial}>`;
    if (Object.isExtensible(t)) c[PID_TEXT] = s;
    return s;
  }

  /** The node a pid, port or ref lives on; `{name, node}` destinations name theirs. */
  nodeOf(t: Term, fallback: string): string {
    if (typeof t === 'object' && t !== null && !Array.isArray(t) && !(t instanceof Uint8Array)) {
      if (t.t === 'pid' || t.t === 'port' || t.t === 'ref') return t.node.name;
      if (t.t === 'tuple' && t.items.length === 2 && isAtom(t.items[1])) return t.items[1].name;
    }
    return fallback;
  }

  /** `Module.fun/arity`; cached on the (per-chunk shared) mfa tuple. */
  mfa(m: Mfa): string {
    const c = m as unknown as Cached;
    const cached = c[TEXT];
    if (cached !== undefined) return cached;
    // The function name as Elixir writes a remote call: `:supervisor."Elixir.Task.Supervisor"/1`, `Mod."-f/1-fun-0-"/1`.
    const s = `${renderElixir(m[0])}.${inspectAtomRemoteCall(m[1].name)}/${m[2]}`;
    if (Object.isExtensible(m)) c[TEXT] = s;
    return s;
  }
}
