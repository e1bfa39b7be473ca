/**
 * The events as typed columns in JavaScript, kept beside the DuckDB tables so
 * the streaming analyses (correlate.ts) never read the events back out of
 * DuckDB. Index `i` is the event's `seq`: ingest appends in arrival order
 * (the provisional seq), and when the SQL resequences a merged or
 * out-of-order load, `renumber` applies the same moves here.
 *
 * Texts are integer ids into dictionaries, each distinct text once: a
 * process is the pair (node, pid text), one id; MFAs; and the payload terms
 * (messages, arguments, results). The pass hands DuckDB these ids and each
 * distinct text once; DuckDB joins the texts back (run.ts).
 */

export const KIND = {
  other: 0,
  send: 1,
  send_to_dead: 2,
  receive: 3,
  call: 4,
  return: 5,
  exception: 6,
  spawn: 7,
  exit: 8,
  drop: 9,
  state: 10,
} as const;

const KIND_CODE: Record<string, number> = KIND;

/** Flags per event. */
export const REPLY_RECEIVE = 1;
export const CONSUMED = 2;
export const REQUEST = 4;
/** A behaviour callback's return that gave a state (a \`states\` row: its main loop went on, or it stopped). */
export const CALLBACK_RETURN = 8;

/** Interns strings as dense ids. */
export class Dict {
  /** The id of `s`, -1 if it was never interned. */
  find(s: string): number {
    return this.ids.get(s) ?? -1;
  }
  readonly ids = new Map<string, number>();
  readonly texts: string[] = [];
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.texts.length;
      this.ids.set(s, id);
      this.texts.push(s);
    }
    return id;
  }
}

/** Processes (and other destinations: names, refs) as (node, text) pairs. */
export class ProcDict {
  private readonly byNode = new Map<string | null, Map<string, number>>();
  readonly node: (string | null)[] = [];
  readonly pid: string[] = [];
  id(node: string | null, pid: string): number {
    let m = this.byNode.get(node);
    if (m === undefined) this.byNode.set(node, (m = new Map()));
    let id = m.get(pid);
    if (id === undefined) {
      id = this.pid.length;
      m.set(pid, id);
      this.node.push(node);
      this.pid.push(pid);
    }
    return id;
  }
  find(node: string | null, pid: string): number {
    return this.byNode.get(node)?.get(pid) ?? -1;
  }
}

function growTo<T extends Int32Array | Uint8Array | Float64Array>(a: T, n: number, ctor: { new (n: number): T }): T {
  if (n <= a.length) return a;
  const b = new ctor(Math.max(n, a.length * 2));
  (b as { set(x: ArrayLike<number>): void }).set(a);
  return b;
}

export class EventStore {
  length = 0;
  /** ts as two 32-bit words per event (low, high): copied into output columns without a BigInt per row. */
  tsw = new Int32Array(2048);
  kind = new Uint8Array(1024);
  /** The event's process (node, pid), -1 without one. */
  proc = new Int32Array(1024);
  /** The peer as (peer_node, peer) in the same dictionary, -1 without one. */
  peer = new Int32Array(1024);
  /** term_id; NaN for NULL. */
  termId = new Float64Array(1024);
  mfa = new Int32Array(1024);
  flags = new Uint8Array(1024);
  /** The process a call request names as caller (`{from, tag}`), -1 otherwise. */
  from = new Int32Array(1024);
  /** The payload's text as an id in `terms`, -1 without one. */
  term = new Int32Array(1024);
  /** Call events that took a message (CONSUMED): that message's text, an id in `terms`. */
  took = new Int32Array(1024);
  /** Call requests (REQUEST): the call tag's text, by event. */
  tags = new Map<number, string>();
  readonly procs = new ProcDict();
  readonly mfas = new Dict();
  readonly terms = new Dict();

  /** Appends an event; its ts is the caller's to write to \`tsw\` at the returned index (ingest copies the words it already has). */
  add(
    kind: string,
    node: string,
    pid: string | null,
    peer: string | null,
    peerNode: string | null,
    mfa: string | null,
    term: string | null,
    termId: number | null,
  ): number {
    return this.addIds(
      kind,
      pid === null ? -1 : this.procs.id(node, pid),
      peer === null ? -1 : this.procs.id(peerNode, peer),
      mfa === null ? -1 : this.mfas.id(mfa),
      term === null ? -1 : this.terms.id(term),
      termId,
    );
  }

  /** `add` with the texts already interned (ingest of columns interns each of a chunk's table entries once); -1: none. */
  addIds(kind: string, proc: number, peer: number, mfa: number, term: number, termId: number | null): number {
    const i = this.length++;
    this.ensure(i + 1);
    this.kind[i] = KIND_CODE[kind] ?? KIND.other;
    this.proc[i] = proc;
    this.peer[i] = peer;
    this.termId[i] = termId === null ? NaN : termId;
    this.mfa[i] = mfa;
    this.flags[i] = 0;
    this.from[i] = -1;
    this.term[i] = term;
    return i;
  }

  /** The last added event was a call request with this tag, sent by `from`. */
  noteRequest(tag: string, fromNode: string, fromPid: string): void {
    const i = this.length - 1;
    this.flags[i] |= REQUEST;
    this.tags.set(i, tag);
    this.from[i] = this.procs.id(fromNode, fromPid);
  }

  noteReplyReceive(): void {
    this.flags[this.length - 1] |= REPLY_RECEIVE;
  }

  /** The event just added is a callback's return with a state (CALLBACK_RETURN). */
  noteCallbackReturn(): void {
    this.flags[this.length - 1] |= CALLBACK_RETURN;
  }

  noteConsumed(msg: string): void {
    const i = this.length - 1;
    this.flags[i] |= CONSUMED;
    this.took[i] = this.terms.id(msg);
  }

  /** Forgets the events from `n` on (a file that failed to load). */
  truncate(n: number): void {
    if (n >= this.length) return;
    this.length = n;
    for (const i of [...this.tags.keys()]) if (i >= n) this.tags.delete(i);
  }

  /** Applies the SQL's resequencing: the event at `old[k]` moves to `now[k]` (a permutation of those positions). */
  renumber(old: ArrayLike<number>, now: ArrayLike<number>): void {
    const moveWords = (a: Int32Array) => {
      const b = a.slice(0, 2 * this.length);
      for (let k = 0; k < old.length; k++) {
        b[2 * now[k]] = a[2 * old[k]];
        b[2 * now[k] + 1] = a[2 * old[k] + 1];
      }
      return b;
    };
    const move = <T extends Int32Array | Uint8Array | Float64Array>(a: T): T => {
      const b = a.slice(0, this.length) as T;
      for (let k = 0; k < old.length; k++) b[now[k]] = a[old[k]];
      return b;
    };
    const at = new Map<number, number>();
    for (let k = 0; k < old.length; k++) at.set(old[k], now[k]);
    this.tsw = moveWords(this.tsw);
    this.kind = move(this.kind);
    this.proc = move(this.proc);
    this.peer = move(this.peer);
    this.termId = move(this.termId);
    this.mfa = move(this.mfa);
    this.flags = move(this.flags);
    this.from = move(this.from);
    this.term = move(this.term);
    this.took = move(this.took);
    this.tags = new Map([...this.tags].map(([i, tag]) => [at.get(i) ?? i, tag]));
  }

  private ensure(n: number): void {
    if (n <= this.kind.length) return;
    this.tsw = growTo(this.tsw, 2 * n, Int32Array);
    this.kind = growTo(this.kind, n, Uint8Array);
    this.proc = growTo(this.proc, n, Int32Array);
    this.peer = growTo(this.peer, n, Int32Array);
    this.termId = growTo(this.termId, n, Float64Array);
    this.mfa = growTo(this.mfa, n, Int32Array);
    this.flags = growTo(this.flags, n, Uint8Array);
    this.from = growTo(this.from, n, Int32Array);
    this.term = growTo(this.term, n, Int32Array);
    this.took = growTo(this.took, n, Int32Array);
  }
}

/** ts[i] - ts[j] in ns, exact while the difference is below 2^53. */
export function tsDiff(w: Int32Array, i: number, j: number): number {
  return (w[2 * i + 1] - w[2 * j + 1]) * 4294967296 + ((w[2 * i] >>> 0) - (w[2 * j] >>> 0));
}
