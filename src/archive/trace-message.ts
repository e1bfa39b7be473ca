/**
 * Maps raw BEAM trace messages (`{trace, Pid, Tag, ...}`, `{trace_ts, ..., TS}`,
 * `{seq_trace, ...}`) onto `TraceEvent`s. Shared by the dbg and ttb readers,
 * so both make the same choices:
 *
 * Tags
 * - `send` / `send_to_non_existing_process` -> send / send_to_dead, term = Msg, peer = To.
 * - `'receive'` -> receive, term = Msg (a trace message carries no sender).
 * - `call` `{M,F,Args}` -> call, mfa arity = length(Args), term = Args; with the
 *   `arity` flag `{M,F,Arity}` -> mfa only. The 5-tuple form's match-spec
 *   message (`{message, {caller}}`: the caller's `{M,F,A}` or `undefined`) is
 *   the `peer`: `term` stays the argument list everywhere so consumers can rely on it.
 * - `return_from` -> return (mfa, term = Ret); `exception_from` -> exception
 *   (mfa, term = `{Class, Value}`); `return_to` is skipped (counted).
 * - `spawn` (parent side) and `spawned` (child side) both become ONE spawn
 *   event from the parent's side: pid = parent, peer = child, mfa = initial
 *   MFA, term = its args. Whichever arrives first is emitted; the other is
 *   folded into it (counted in `folded`, not a warning). A `spawned` whose parent is untraced
 *   still yields the spawn event (with pid = that untraced parent).
 * - `link` / `unlink` -> link / unlink (peer). `getting_linked` /
 *   `getting_unlinked` are the same link seen from the other side: they become
 *   the other side's link/unlink (pid = the linker, peer = us) when that side
 *   was not seen, and are folded into it (counted in `folded`) when it was, so each
 *   link appears once. (A linked process that exits makes its peer
 *   `getting_unlinked`: that becomes an unlink event of the exiting process.)
 * - `exit` -> exit, term = Reason. `register` / `unregister` -> term = Name
 *   (of a process or a port).
 * - Ports: `open` `{trace, Port, open, Opener, Driver}` -> spawn (pid = the
 *   opener, peer = the port, term = the driver name); `closed` -> exit of the
 *   port (term = Reason). A port's send/receive/link/register events are those
 *   of a process, with the port as pid.
 * - `gc_*` (and the old `gc_start`/`gc_end`) -> gc, term = `{Tag, Info}` (the
 *   tag tells a collection's start from its end, minor from major).
 * - `in` / `out` / `in_exiting` / `out_exiting` / `out_exited` -> in / out, mfa when given
 *   (`0` means unknown and gives no mfa); term = the tag for the `*_exiting` /
 *   `out_exited` ones, and a port's operation atom (`command`, `close`, ...).
 * - `seq_trace`, `return_to` and any unknown tag are skipped and counted;
 *   `summary()` turns the counts into warnings, naming where the first of
 *   each was when the reader said (`map`'s `at`). The atom `end_of_trace`
 *   (the end marker ttb's `{local, ...}` logs are written with) is passed
 *   over: the end of a log, not a message.
 * - The runtime's placeholder pid (`isInvalidPid`: what a port's messages to
 *   and from the runtime carry) is never an event's pid (skipped, counted) or
 *   peer (left out, counted in `noted`, also a warning).
 * - Drop frames (dbg op 1), and the `{drop, N}` terms ttb's `{local, ...}`
 *   logs hold for them -> drop, term = the count, pid = the atom
 *   `otpscope_dropped` (no process dropped them: the trace port did; an atom
 *   cannot be mistaken for a pid), node = the node of the previous event.
 * - The `scheduler_id` flag's scheduler number (one more element at the end,
 *   before the timestamp) is left out, and noted.
 *
 * Time
 * - `timestamp` / `now`: `{Mega, Sec, Micro}` -> exact ns since the epoch.
 * - `monotonic_timestamp`: an integer in nanoseconds (erts converts trace
 *   timestamps to ns whatever the node's native time unit), shifted by
 *   `monotonicOffsetNs` (default 0n). Monotonic time has no epoch: pass the
 *   traced node's `erlang:time_offset(nanosecond)` as `monotonicOffsetNs` to
 *   land on wall-clock time; with the default the values are the node's raw
 *   monotonic nanoseconds (often negative).
 * - `strict_monotonic_timestamp`: `{Mono, Unique}` -> Mono as above; Unique is
 *   dropped (the order is kept by position).
 * - `cpu_timestamp`: `{Mega, Sec, Micro}` of CPU time, told from wall-clock
 *   time by being before 2001 (Mega < 1000): kept, raised to the previous
 *   event's ts where a scheduler thread's CPU clock lagged (so events keep the
 *   file's order), and noted.
 * - Messages without a timestamp (`trace`, drops) take the previous event's
 *   ts (0n before the first one); their order is kept by position.
 *
 * `node` is the node of the event's pid (or port).
 */
import { atom, isAtom, isPid, isTuple } from './etf/term';
import type { Atom, Term } from './etf/term';
import type { EventKind, Mfa, TraceEvent } from './trace-event';

export interface TraceMessageOptions {
  /** Added to monotonic timestamps (ns). Default 0n. */
  monotonicOffsetNs?: bigint;
  /**
   * The node the trace is of, when known up front (ttb's `.ti`). Otherwise the first traced process's node, once
   * it is a named one. Either way a pid, port or reference of `nonode@nohost` in a trace message is that node's:
   * the node wrote it while its distribution was down (stopped, as at `init:stop/0`, or not started yet).
   */
  node?: string;
}

const NO_NODE = 'nonode@nohost';

/** The pid of drop events. */
export const DROPPED_PID: Atom = atom('otpscope_dropped');

/**
 * Spawn/link pairs seen from one side and not yet from the other. Shared by
 * the mappers of several logs (ttb, one per node) so a cross-node spawn or
 * link is deduplicated too.
 */
export class PairDedup {
  readonly #open = new Map<string, string>();
  /**
   * False when `key` was last seen from the other side (the pair is then
   * complete and forgotten); true otherwise, remembering this side. Seeing the
   * same side again (a second link while the peer is untraced) is a new event.
   */
  first(key: string, side: string): boolean {
    const seen = this.#open.get(key);
    if (seen !== undefined && seen !== side) {
      this.#open.delete(key);
      return false;
    }
    this.#open.set(key, side);
    return true;
  }
}

/** `{Mega, Sec, Micro}` timestamps below this Mega (2001-09-09) are CPU time (`cpu_timestamp`), not wall clock. */
const CPU_TIME_MEGA = 1000;
const CPU_TIME_NOTE =
  'its timestamp is CPU time (the cpu_timestamp trace flag), not wall-clock time: ts is that CPU time since the epoch, raised where a scheduler thread lagged so the events keep the file order';

/** How many elements each trace tag's message has without a timestamp (`call`: 4, or 5 with a match-spec message). */
const TAG_SIZE: Record<string, number> = {
  send: 5,
  send_to_non_existing_process: 5,
  receive: 4,
  return_from: 5,
  exception_from: 5,
  return_to: 4,
  spawn: 5,
  spawned: 5,
  link: 4,
  unlink: 4,
  getting_linked: 4,
  getting_unlinked: 4,
  exit: 4,
  open: 5,
  closed: 4,
  register: 4,
  unregister: 4,
  in: 4,
  out: 4,
  in_exiting: 4,
  out_exiting: 4,
  out_exited: 4,
};
const SCHEDULER_ID_NOTE = "the scheduler's number (the scheduler_id trace flag) left out";

/** A stateful mapper: ts carry-over, spawn/link deduplication and skip counts live here. */
export class TraceMessageMapper {
  readonly #offset: bigint;
  readonly #dedup: PairDedup;
  #lastTs = 0n;
  #lastNode = '';
  #tracedNode: string | undefined;
  readonly skipped = new Map<string, number>();
  /** Where the first message of each skip reason was (`file at offset N`), when the reader said (`map`'s `at`). */
  readonly firstSkipped = new Map<string, string>();
  #at: string | undefined;
  /** Messages mapped with something left out or changed (the count and what), also warnings. */
  readonly noted = new Map<string, number>();
  /** Twin messages folded into one event (a spawn seen from both sides, a link from both ends), by what they were. */
  readonly folded = new Map<string, number>();

  #localNode: Atom | undefined;
  /** Whether an event was mapped yet, and the drops before the first one (given its ts and node when it comes). */
  #mapped = false;
  readonly #leadingDrops: TraceEvent[] = [];
  constructor(options: TraceMessageOptions = {}, dedup = new PairDedup()) {
    this.#offset = options.monotonicOffsetNs ?? 0n;
    if (options.node !== undefined && options.node !== NO_NODE) this.#localNode = atom(options.node);
    this.#dedup = dedup;
  }

  /**
   * The node of the first trace message's traced process or port (the node the trace is of), once one is mapped. Not
   * the first event's node: a spawn or link traced from the far side is the other process's event, on its node.
   */
  get tracedNode(): string | undefined {
    return this.#tracedNode;
  }

  /** The ts of the last event mapped (0n before the first). */
  get lastTs(): bigint {
    return this.#lastTs;
  }

  #skip(reason: string): undefined {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
    if (this.#at !== undefined && !this.firstSkipped.has(reason)) this.firstSkipped.set(reason, this.#at);
    return undefined;
  }

  /** Kept, with something left out or changed: counted, and said in the load report (`summary()`). */
  #note(what: string): void {
    this.noted.set(what, (this.noted.get(what) ?? 0) + 1);
  }

  /** The second side of a spawn or link, folded into the first: routine, counted apart from skips (no warning). */
  #fold(reason: string): undefined {
    this.folded.set(reason, (this.folded.get(reason) ?? 0) + 1);
    return undefined;
  }

  /** The event for a drop frame of `count` messages. */
  drop(count: number): TraceEvent {
    const ev: TraceEvent = { node: this.#lastNode || (this.#localNode?.name ?? ''), ts: this.#lastTs, kind: 'drop', pid: DROPPED_PID, term: count };
    // Before the first event (an ip trace port dropping from the start): no event before it to take the time and the
    // node of, so the next event's (its window's end: docs/SCHEMA.md `drops`).
    if (!this.#mapped) this.#leadingDrops.push(ev);
    return ev;
  }

  /**
   * Maps one decoded trace message; undefined when it is skipped (and counted). `at` says where the message was
   * (`file at offset N`), so that the load's warnings can point at the first message of each kind skipped.
   */
  map(msg: Term, at?: string): TraceEvent | undefined {
    this.#at = at;
    // The marker dbg's trace client hands its handler at the end of a trace: ttb's `{local, ...}` logs, written by
    // such a handler, end with it. The end of the log, not a message.
    if (isAtom(msg, 'end_of_trace')) return undefined;
    // What dbg's trace client hands its handler for a drop frame of an ip trace port: ttb's `{local, ...}` handler
    // writes it into the log like a trace message. The same drop as a file's drop frame.
    if (isTuple(msg, 2) && isAtom(msg.items[0], 'drop') && isInt(msg.items[1]) && Number(msg.items[1]) >= 0) return this.drop(Number(msg.items[1]));
    if (!isTuple(msg) || msg.items.length < 3 || !isAtom(msg.items[0])) return this.#skip('not a trace message');
    const head = msg.items[0].name;
    if (head === 'seq_trace') return this.#skip('seq_trace');
    let items = msg.items;
    if (head === 'trace_ts') {
      const ts = this.#timestamp(items[items.length - 1]);
      if (ts === undefined) return this.#skip('trace_ts with an unreadable timestamp');
      this.#lastTs = ts;
      items = items.slice(0, -1);
    } else if (head !== 'trace') return this.#skip('not a trace message');
    if (this.#localNode === undefined) {
      const traced = nodeOf(items[1]);
      if (traced !== undefined && traced !== NO_NODE) this.#localNode = atom(traced);
    } else items = this.#named(items, this.#localNode);
    const pid = items[1];
    const tag = items[2];
    if (!isAtom(tag)) return this.#skip('not a trace message');
    items = this.#withoutSchedulerId(items, tag.name);
    const node = nodeOf(pid) ?? this.#lastNode;
    this.#lastNode = node;
    this.#tracedNode ??= nodeOf(pid);
    if (isInvalidPid(pid)) return this.#skip(`${tag.name} of the runtime's placeholder pid ${INVALID_PID_TEXT}`);
    const event = this.#event(items, pid, tag, node);
    if (event?.peer !== undefined && isInvalidPid(event.peer)) {
      // A port's messages to and from the runtime itself (the `forker` port that starts `{spawn, Cmd}` ports)
      // carry a placeholder pid that names no process: the event stays, without a peer.
      delete event.peer;
      this.#note(`${event.kind} to the runtime's placeholder pid ${INVALID_PID_TEXT}, without a peer (it names no process)`);
    }
    if (event !== undefined && !this.#mapped) {
      this.#mapped = true;
      for (const d of this.#leadingDrops) ((d.ts = event.ts), (d.node ||= event.node));
      this.#leadingDrops.length = 0;
    }
    return event;
  }

  /** The message's pids, ports and references of `nonode@nohost` as `node`'s (see `TraceMessageOptions.node`). */
  #named(items: Term[], node: Atom): Term[] {
    let out = items;
    for (let i = 1; i < items.length; i++) {
      const x = namedNode(items[i], node);
      if (x === items[i]) continue;
      if (out === items) out = items.slice();
      out[i] = x;
    }
    return out;
  }

  /**
   * The message without the scheduler's number the `scheduler_id` flag puts after its usual elements (noted). Told by
   * the count: one element more than the tag has, an integer. A call's 5th element is the match spec's message or
   * the scheduler id: an integer there is taken for the scheduler id (no `{message, ...}` people write gives one).
   */
  #withoutSchedulerId(items: Term[], tag: string): Term[] {
    const usual = tag === 'call' ? 4 : (TAG_SIZE[tag] ?? (tag.startsWith('gc_') ? 4 : undefined));
    const n = items.length;
    if (usual === undefined || !isInt(items[n - 1])) return items;
    if (n !== usual + 1 && !(tag === 'call' && n === 6)) return items;
    this.#note(SCHEDULER_ID_NOTE);
    return items.slice(0, -1);
  }

  #event(items: Term[], pid: Term, tag: Atom, node: string): TraceEvent | undefined {
    const ts = this.#lastTs;
    const ev = (kind: EventKind, fields: Partial<TraceEvent> = {}): TraceEvent => ({ node, ts, kind, pid, ...fields });
    const n = items.length;
    switch (tag.name) {
      case 'send':
        return n === 5 ? ev('send', { term: items[3], peer: items[4] }) : this.#skip('malformed send');
      case 'send_to_non_existing_process':
        return n === 5 ? ev('send_to_dead', { term: items[3], peer: items[4] }) : this.#skip('malformed send_to_non_existing_process');
      case 'receive':
        return n === 4 ? ev('receive', { term: items[3] }) : this.#skip('malformed receive');
      case 'call': {
        const call = callMfa(items[3]);
        if (!call || (n !== 4 && n !== 5)) return this.#skip('malformed call');
        const fields: Partial<TraceEvent> = call.args === undefined ? { mfa: call.mfa } : { mfa: call.mfa, term: call.args };
        // The match spec's `{message, ...}` (`{caller}`: the calling function's {M, F, A}, or `undefined`)
        if (n === 5) fields.peer = items[4];
        return ev('call', fields);
      }
      case 'return_from':
      case 'exception_from': {
        const call = n === 5 ? callMfa(items[3]) : undefined;
        if (!call) return this.#skip(`malformed ${tag.name}`);
        return ev(tag.name === 'return_from' ? 'return' : 'exception', { mfa: call.mfa, term: items[4] });
      }
      case 'spawn':
      case 'spawned': {
        if (n !== 5) return this.#skip(`malformed ${tag.name}`);
        const [parent, child] = tag.name === 'spawn' ? [pid, items[3]] : [items[3], pid];
        if (!this.#dedup.first(`spawn ${termKey(parent)} ${termKey(child)}`, tag.name)) return this.#fold(`${tag.name} (the other side's spawn event)`);
        const call = callMfa(items[4]);
        return {
          node: nodeOf(parent) ?? node,
          ts,
          kind: 'spawn',
          pid: parent,
          peer: child,
          ...(call ? (call.args === undefined ? { mfa: call.mfa } : { mfa: call.mfa, term: call.args }) : { term: items[4] }),
        };
      }
      case 'link':
      case 'unlink':
      case 'getting_linked':
      case 'getting_unlinked': {
        if (n !== 4) return this.#skip(`malformed ${tag.name}`);
        const getting = tag.name.startsWith('getting_');
        const kind = tag.name.endsWith('unlinked') || tag.name === 'unlink' ? 'unlink' : 'link';
        const [from, to] = getting ? [items[3], pid] : [pid, items[3]];
        if (!this.#dedup.first(`${kind} ${termKey(from)} ${termKey(to)}`, getting ? 'getting' : 'direct'))
          return this.#fold(`${tag.name} (the other side's ${kind})`);
        return { node: nodeOf(from) ?? node, ts, kind, pid: from, peer: to };
      }
      case 'exit':
        return n === 4 ? ev('exit', { term: items[3] }) : this.#skip('malformed exit');
      case 'open': {
        // A port opened: `{trace, Port, open, Opener, Driver}`, the port's spawn, seen from the port.
        if (n !== 5) return this.#skip('malformed open');
        const opener = items[3];
        if (isInvalidPid(opener)) return this.#skip(`open of a port by the runtime's placeholder pid ${INVALID_PID_TEXT}`);
        return { node: nodeOf(opener) ?? node, ts, kind: 'spawn', pid: opener, peer: pid, term: items[4] };
      }
      case 'closed':
        return n === 4 ? ev('exit', { term: items[3] }) : this.#skip('malformed closed');
      case 'register':
      case 'unregister':
        return n === 4 ? ev(tag.name, { term: items[3] }) : this.#skip(`malformed ${tag.name}`);
      case 'in':
      case 'out':
      case 'in_exiting':
      case 'out_exiting':
      case 'out_exited': {
        if (n !== 4) return this.#skip(`malformed ${tag.name}`);
        const call = callMfa(items[3]);
        const kind = tag.name.startsWith('in') ? 'in' : 'out';
        if (call) return ev(kind, tag.name === kind ? { mfa: call.mfa } : { mfa: call.mfa, term: tag });
        // A port's in/out name what it runs (`command`, `close`, `link`, ...); 0 is unknown.
        if (isAtom(items[3])) return ev(kind, { term: items[3] });
        return ev(kind, tag.name === kind ? {} : { term: tag });
      }
      case 'return_to':
        return this.#skip('return_to');
      default:
        if (tag.name.startsWith('gc_')) return n === 4 ? ev('gc', { term: { t: 'tuple', items: [tag, items[3]] } }) : this.#skip(`malformed ${tag.name}`);
        return this.#skip(`unsupported trace tag ${tag.name}`);
    }
  }

  #timestamp(ts: Term): bigint | undefined {
    if (typeof ts === 'number' || typeof ts === 'bigint') return this.#monotonic(ts);
    if (isTuple(ts, 3)) {
      const [mega, sec, micro] = ts.items;
      if (!isInt(mega) || !isInt(sec) || !isInt(micro)) return undefined;
      const ns = ((BigInt(mega) * 1_000_000n + BigInt(sec)) * 1_000_000n + BigInt(micro)) * 1000n;
      if (Number(mega) >= CPU_TIME_MEGA) return ns;
      // Before 2001: not a wall clock but the `cpu_timestamp` flag's CPU time of the scheduler thread that traced the
      // event; threads' CPU times differ, so a later event can carry a smaller one. Kept non-decreasing: the events
      // keep the file's order.
      this.#note(CPU_TIME_NOTE);
      return ns < this.#lastTs ? this.#lastTs : ns;
    }
    if (isTuple(ts, 2) && isInt(ts.items[0])) return this.#monotonic(ts.items[0]);
    return undefined;
  }

  #monotonic(ns: number | bigint): bigint {
    return BigInt(ns) + this.#offset;
  }

  /** Counts of skipped messages as warning lines (empty when nothing was skipped). */
  summary(): string[] {
    return [
      ...[...this.skipped].map(([reason, count]) => {
        const at = this.firstSkipped.get(reason);
        return `skipped ${count} trace message${count === 1 ? '' : 's'}: ${reason}${at === undefined ? '' : ` (${count === 1 ? '' : 'the first '}in ${at})`}`;
      }),
      ...[...this.noted].map(([what, count]) => `kept ${count} trace message${count === 1 ? '' : 's'}: ${what}`),
    ];
  }
}

function isInt(x: Term): x is number | bigint {
  return typeof x === 'number' || typeof x === 'bigint';
}

/**
 * The runtime's placeholder for "no process" (ERTS_INVALID_PID): what a port's messages to and from the runtime
 * carry (OTP 25 prints it `<0.32767.8191>`, OTP 26+ `<0.268435455.4294967295>`). Never a process.
 */
export function isInvalidPid(x: Term): boolean {
  return isPid(x) && ((x.id === 32767 && x.serial === 8191) || (x.id === 0xfffffff && x.serial === 0xffffffff));
}
const INVALID_PID_TEXT = '(<0.32767.8191>, OTP 26+ <0.268435455.4294967295>)';

/** `{M, F, Args}` or `{M, F, Arity}` as an mfa (and the args when given). */
export function callMfa(x: Term): { mfa: Mfa; args?: Term[] } | undefined {
  if (!isTuple(x, 3)) return undefined;
  const [m, f, a] = x.items;
  if (!isAtom(m) || !isAtom(f)) return undefined;
  if (typeof a === 'number') return { mfa: [m, f, a] };
  if (Array.isArray(a)) return { mfa: [m, f, a.length], args: a };
  return undefined;
}

/**
 * A pid, port or reference of `nonode@nohost` as one of `node`'s (a node's own, written while its distribution was
 * down); anything else as it is.
 */
export function namedNode(x: Term, node: Atom): Term {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || x instanceof Uint8Array) return x;
  return (x.t === 'pid' || x.t === 'port' || x.t === 'ref') && x.node.name === NO_NODE && node.name !== NO_NODE ? { ...x, node } : x;
}

/** The node name of a pid or port, or undefined for anything else. */
export function nodeOf(x: Term): string | undefined {
  if (typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && !Array.isArray(x) && (x.t === 'pid' || x.t === 'port')) return x.node.name;
  return undefined;
}

/** A string key identifying a pid or port (or any term used as a trace peer). */
export function termKey(x: Term): string {
  if (isPid(x)) return `${x.node.name}<${x.id}.${x.serial}.${x.creation}>`;
  if (typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && !Array.isArray(x)) {
    if (x.t === 'port') return `${x.node.name}#Port<${x.id}.${x.creation}>`;
    if (x.t === 'atom') return `'${x.name}'`;
  }
  return String(x);
}
