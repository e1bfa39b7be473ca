import type { RenderOptions } from './render/options';
import type { Atom, Term } from './etf/term';

/**
 * The event kinds of the `events` table (docs/SCHEMA.md). Every reader maps
 * its source's trace tags onto these; the numeric codes are the archive's
 * `kind` column values (docs/FORMAT.md) and must not be renumbered.
 */
export const EVENT_KINDS = [
  'spawn',
  'exit',
  'link',
  'unlink',
  'register',
  'unregister',
  'send',
  'send_to_dead',
  'receive',
  'call',
  'return',
  'exception',
  'state',
  'snapshot',
  'telemetry',
  'gc',
  'in',
  'out',
  'drop',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** `{Module, Function, Arity}` of a traced call. */
export type Mfa = readonly [Atom, Atom, number];

/**
 * One trace event, as the raw-trace readers (dbg, ttb) hand it to the engine.
 * The otpscope archive reader produces columnar batches instead, but they mean
 * the same thing field for field.
 */
export interface TraceEvent {
  /** Node the event happened on (the pid's node for raw traces). */
  node: string;
  /** Nanoseconds since the Unix epoch. */
  ts: bigint;
  kind: EventKind;
  /** The process (or port) the event belongs to. */
  pid: Term;
  /** The other side: send target, spawned child, linked pid, ... */
  peer?: Term;
  mfa?: Mfa;
  /** The payload: message, exit reason, call arguments (a list), return value, `{class, reason}`, drop count ... */
  term?: Term;
  /**
   * Orders events of one node that share a timestamp: the strict-monotonic
   * unique integer (relative to the source's first) or the position in a raw
   * trace file. Readers that know nothing better leave it undefined.
   */
  order?: number;
  /** A 53-bit identity of the exact payload term (e.g. a hash of its ETF bytes); the engine computes one when absent. */
  termId?: number;
  /** A drop's window end (ns since the epoch): an archive's drop record says when the window it counts closed. */
  until?: bigint;
}

/** What a source says about a process beside its events (ttb `.ti` records, archive process facts). */
export interface ProcessFact {
  node: string;
  pid: Term;
  name?: Term;
  initialCall?: Mfa;
  /** Which facts file said so (otpscope archives: `start` or `stop`); undefined when the input does not tell. */
  snapshot?: 'start' | 'stop';
}

/**
 * One otpscope chunk's events as columns (docs/FORMAT.md "Event chunks"):
 * each event's process, peer, MFA and payload are indexes into the chunk's
 * tables, so a term shared by several events (a message's send and receive)
 * is decoded once and, downstream, rendered once; no object per event.
 * Event `i` means the same as the TraceEvent `eventsOf` builds for it.
 */
export interface EventColumns {
  node: string;
  /** Events in the chunk. */
  n: number;
  /** Codes into EVENT_KINDS. */
  kind: Uint8Array;
  /** ts of event i is `tsBase + tsRel[i]` ns (the relative part is exact for 104 days). */
  tsBase: bigint;
  tsRel: Float64Array;
  order: Float64Array;
  /** Index into `pids`. */
  pid: Int32Array;
  /** Index into `pids`, -1 without a peer. */
  peer: Int32Array;
  /** Index into `mfas`, -1 without one. */
  mfa: Int32Array;
  /** Index into the chunk's terms (`termAt`, `termIds`), -1 without a payload. */
  term: Int32Array;
  pids: Term[];
  mfas: Mfa[];
  /** How many terms the chunk's table holds. */
  termCount: number;
  /**
   * Term \`i\` of the chunk's table, decoded anew at every call: callers keep what they need of it (its text).
   * Decoded all at once, a chunk's terms lived through its whole ingest and every young-generation GC in it
   * copied them, then promoted them to die in the old generation.
   */
  termAt(i: number): Term;
  termIds: number[];
}

export interface TraceBatch {
  /** Events as objects (raw traces; an archive's drop records). They come after \`columns\`' events. */
  events: TraceEvent[];
  /** Events as columns (otpscope archives). */
  columns?: EventColumns;
  processes?: ProcessFact[];
  /** Supervision trees as recorded (otpscope archives: \`facts/tree-start.etf\`, \`facts/tree-stop.etf\`). */
  trees?: { snapshot: 'start' | 'stop'; node: string; term: Term }[];
  /** Bytes of input consumed so far (for progress). */
  bytesRead: number;
  /** Raw dbg traces: the node the trace is of (its first trace message's traced process's), once known. */
  node?: string;
  /** How the source's terms print, given with its first batch (formats.ts: charlists by Elixir version). */
  render?: RenderOptions;
}

/** How many events a batch holds. */
export function batchSize(b: TraceBatch): number {
  return (b.columns?.n ?? 0) + b.events.length;
}

/** A batch's events as objects, columns first (for tests and tools; the engine reads columns as they are). */
export function eventsOf(b: TraceBatch): TraceEvent[] {
  const c = b.columns;
  if (c === undefined) return b.events;
  const out: TraceEvent[] = new Array(c.n);
  // One object per table entry, shared by the events that refer to it (as a reader of objects gives them).
  const terms: Term[] = new Array(c.termCount);
  for (let i = 0; i < c.n; i++) {
    const ev: TraceEvent = {
      node: c.node,
      ts: c.tsBase + BigInt(c.tsRel[i]),
      kind: EVENT_KINDS[c.kind[i]],
      pid: c.pids[c.pid[i]],
      order: c.order[i],
      peer: undefined,
      mfa: undefined,
      term: undefined,
      termId: undefined,
    };
    if (c.peer[i] >= 0) ev.peer = c.pids[c.peer[i]];
    if (c.mfa[i] >= 0) ev.mfa = c.mfas[c.mfa[i]];
    const t = c.term[i];
    if (t >= 0) {
      ev.term = terms[t] ??= c.termAt(t);
      ev.termId = c.termIds[t];
    }
    out[i] = ev;
  }
  return b.events.length === 0 ? out : out.concat(b.events);
}

/** A reader's error: names the file, the byte offset and what was expected. */
export class TraceReadError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`${file}: at offset ${offset}: ${detail}`);
    this.name = 'TraceReadError';
  }
}

/**
 * A read that stopped at a bad spot in the middle of a file: everything
 * before `offset` was read and yielded first, so a reader's caller keeps it
 * and reports this error beside it.
 */
export class TraceStoppedError extends TraceReadError {
  constructor(file: string, offset: number, detail: string) {
    super(file, offset, detail);
    this.name = 'TraceStoppedError';
  }
}
