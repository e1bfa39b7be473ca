import { isAtom, isPid, isTuple, type ErlMap, type Term } from '../../archive/etf/term';
import { EVENT_KINDS, type EventColumns, type EventKind, type Mfa, type ProcessFact, type TraceEvent } from '../../archive/trace-event';
import { hashAscii, hashString } from '../../archive/otpscope/hash';
import { diffTerms, renderPath } from '../analyses/term-diff';
import { CallbackStateTracker, mailboxMessage, runsStatemEvent, type CallbackEvent, type StateRow } from './callback-states';
import { ColumnBuilder, type ColumnSpec } from './columns';
import type { IpcOut } from './ipc-out';
import { TermText } from './text';
import { AS_RECORDED, type SourceNodes } from './node-runs';
import type { RenderOptions } from '../../archive/render/options';
import { renderElixir } from '../../archive/render/elixir';
import type { EventStore } from '../stream/event-store';

export const EVENTS_RAW = {
  seq: 'i64',
  src: 'i32',
  node: 'str',
  ts: 'i64',
  ord: 'f64',
  kind: 'str',
  pid: 'str',
  peer: 'str',
  peer_node: 'str',
  mfa: 'str',
  term: 'str',
  term_id: 'i64',
} as const;

export const STATES_RAW = {
  src: 'i32',
  /** The event this row belongs to (`events_raw.seq`; renumbered with it). */
  seq: 'i64',
  ts: 'i64',
  node: 'str',
  pid: 'str',
  callback: 'str',
  message: 'str',
  state: 'str',
  state_size: 'i32',
  /** A gen_statem event run from its own queue (callback-states.ts): `postponed`, `inserted`, else NULL. */
  queued: 'str',
} as const;

/**
 * Call requests (`{:"$gen_call", {from, tag}, request}` of gen_server and gen_statem, `{:system, {from, tag}, request}` of
 * `:sys`, `{from, {from, tag}, request}` of gen_event) and replies (`{tag, reply}`) seen in sends and receives.
 */
export const CALL_MSGS_RAW = {
  src: 'i32',
  /** The event this row belongs to (`events_raw.seq`; renumbered with it). */
  seq: 'i64',
  ts: 'i64',
  node: 'str',
  /** send, send_to_dead or receive: the event the message was seen in. */
  kind: 'str',
  pid: 'str',
  is_request: 'bool',
  tag: 'str',
  /** A hash of `tag`: the calls SQL joins and groups on it instead of the ~50-character text. */
  tag_id: 'i64',
  body: 'str',
  /** Requests: the caller pid inside `{from, tag}`. */
  from_pid: 'str',
  from_node: 'str',
} as const;

/** Callback calls that took a message from the mailbox, with that message rebuilt (see mailboxMessage). */
export const CONSUMED_RAW = {
  src: 'i32',
  /** The event this row belongs to (`events_raw.seq`; renumbered with it). */
  seq: 'i64',
  ts: 'i64',
  node: 'str',
  pid: 'str',
  msg: 'str',
} as const;

/** Structural changes between consecutive states of a process (analyses/term-diff.ts), keyed by the later state's return event. */
export const STATE_CHANGES_RAW = {
  src: 'i32',
  /** The event this row belongs to (`events_raw.seq`; renumbered with it). */
  seq: 'i64',
  ts: 'i64',
  node: 'str',
  pid: 'str',
  path: 'str',
  change: 'str',
  before: 'str',
  after: 'str',
} as const;

export const FACTS_RAW = {
  src: 'i32',
  node: 'str',
  pid: 'str',
  name: 'str',
  initial_call: 'str',
  module: 'str',
  parent_pid: 'str',
  ancestors: 'str',
  /** `start` or `stop` (which facts file of an otpscope archive); NULL when the input does not tell (ttb). */
  snapshot: 'str',
  /** The name the process is known by besides a registered one (otherNameOf); NULL when none. */
  other_name: 'str',
} as const;

/**
 * The recorder's drop windows (docs/SCHEMA.md \`drops\`): one row per drop event, with the window's end when the
 * input tells it (an archive's drop record); a dbg drop frame tells none (\`to_ts\` NULL, the SQL closes it at the
 * node's next event). \`ord\` is the drop event's (\`events_raw.ord\`), to find that next event.
 */
export const DROPS_RAW = {
  src: 'i32',
  node: 'str',
  ord: 'f64',
  from_ts: 'i64',
  to_ts: 'i64',
  count: 'i64',
  reason: 'str',
} as const;

/**
 * The supervision trees an archive recorded (at start and at stop), one row
 * per supervisor and child; a public table (docs/SCHEMA.md \`supervision\`).
 */
export const SUPERVISION = {
  src: 'i32',
  node: 'str',
  snapshot: 'str',
  application: 'str',
  supervisor: 'str',
  pid: 'str',
  child_id: 'str',
  type: 'str',
  module: 'str',
  status: 'str',
  depth: 'i32',
} as const;

/**
 * The per-event tables' text columns with few distinct values (nodes, kinds, processes, MFAs, callbacks, state
 * paths): with \`dictionary\`, each batch sends each such text once (Arrow dictionaries). Terms, tags and bodies
 * are about one per event and stay plain.
 */
const RAW_DICTIONARY = {
  events_raw: ['node', 'kind', 'pid', 'peer', 'peer_node', 'mfa'],
  states_raw: ['node', 'pid', 'callback'],
  call_msgs_raw: ['node', 'kind', 'pid', 'from_pid', 'from_node'],
  consumed_raw: ['node', 'pid'],
  state_changes_raw: ['node', 'pid', 'path', 'change'],
} as const;

/** The raw tables ingest fills, in creation order. */
export const RAW_TABLES: [string, ColumnSpec][] = [
  ['events_raw', EVENTS_RAW],
  ['states_raw', STATES_RAW],
  ['facts_raw', FACTS_RAW],
  ['call_msgs_raw', CALL_MSGS_RAW],
  ['consumed_raw', CONSUMED_RAW],
  ['state_changes_raw', STATE_CHANGES_RAW],
  ['supervision', SUPERVISION],
  ['drops_raw', DROPS_RAW],
];

/**
 * Turns reader output into Arrow batches for the raw tables the SQL layer
 * builds `events`, `states` and `processes` from. One sink per input file:
 * `src` tells the files apart, `ord` orders events within a file.
 */
export class EventSink {
  readonly events: ColumnBuilder<typeof EVENTS_RAW>;
  private readonly states: ColumnBuilder<typeof STATES_RAW>;
  private readonly facts = new ColumnBuilder(FACTS_RAW);
  private readonly callMsgs: ColumnBuilder<typeof CALL_MSGS_RAW>;
  private readonly consumed: ColumnBuilder<typeof CONSUMED_RAW>;
  private readonly stateChanges: ColumnBuilder<typeof STATE_CHANGES_RAW>;
  private readonly supervision = new ColumnBuilder(SUPERVISION);
  private readonly drops = new ColumnBuilder(DROPS_RAW);
  /** The last state of each process (key: node + pid text), for state_changes. */
  private readonly lastState = new Map<string, Term>();
  /** Per process with a state (key: node + pid text): a \`:sys.replace_state\` request it received, not yet answered. */
  private readonly replacing = new Map<string, { tag: string; request: Term }>();
  /**
   * Per process: its init's state row, held until its next callback says whether it is a gen_server's or a
   * gen_statem's (\`StateRow.statem\`), with the return's seq and the two words of its ts.
   */
  private readonly unsettled = new Map<string, { row: StateRow; seq: number; node: string; pid: string | null; ts: Int32Array }>();
  private text: TermText;
  private nodes: SourceNodes = AS_RECORDED;
  private readonly tracker = new CallbackStateTracker();
  private position = 0;
  /** The one event object the callback tracker reads (no object per event). */
  private readonly scratch: CallbackEvent = { kind: 'call', mfa: undefined, term: undefined };
  count = 0;

  /**
   * @param src which loaded file this is
   * @param seqBase the provisional `seq` of this file's first event: events are numbered in arrival order
   * @param store where the streaming analyses' columns go (stream/event-store.ts); none when only the SQL builds run
   * @param options.dictionary the per-event tables' few-valued texts go out as Arrow dictionaries (RAW_DICTIONARY):
   *   for DuckDB-WASM, which reads them; the native engine's insert takes plain text columns only
   * @param options.rows about how many events a batch holds before it is drained (ColumnBuilder's \`rows\`)
   */
  constructor(
    readonly src: number,
    readonly seqBase = 0,
    private readonly store?: EventStore,
    options: { dictionary?: boolean; rows?: number } = {},
  ) {
    this.text = new TermText();
    const dict = options.dictionary === true;
    const rows = options.rows;
    this.events = new ColumnBuilder(EVENTS_RAW, { dictionary: dict ? RAW_DICTIONARY.events_raw : [], rows });
    this.states = new ColumnBuilder(STATES_RAW, { dictionary: dict ? RAW_DICTIONARY.states_raw : [], rows });
    this.callMsgs = new ColumnBuilder(CALL_MSGS_RAW, { dictionary: dict ? RAW_DICTIONARY.call_msgs_raw : [], rows });
    this.consumed = new ColumnBuilder(CONSUMED_RAW, { dictionary: dict ? RAW_DICTIONARY.consumed_raw : [], rows });
    this.stateChanges = new ColumnBuilder(STATE_CHANGES_RAW, { dictionary: dict ? RAW_DICTIONARY.state_changes_raw : [], rows });
  }

  /** How the terms added from now on print (a source says so before its first events). */
  useRender(render: RenderOptions): void {
    this.text = new TermText(render);
  }

  /** How this source's nodes are written (node-runs.ts: a later run of a node name reads \`name#2\`), before its rows. */
  useNodes(nodes: SourceNodes): void {
    this.nodes = nodes;
  }

  /** The name a node of this source's own events is written under. */
  nodeName(node: string): string {
    return this.nodes.local(node);
  }

  add(ev: TraceEvent): void {
    const t = this.text;
    const ord = ev.order ?? this.position;
    this.position++;
    this.count++;
    const pid = ev.kind === 'drop' ? null : t.pid(ev.pid);
    let termText: string | null = null;
    let termId: number | null = null;
    if (ev.term !== undefined) {
      termText = t.term(ev.term);
      termId = ev.termId ?? hashString(termText);
    }
    // Column by column in EVENTS_RAW order (the hot path: no argument array per row).
    const seq = this.seqBase + this.count - 1;
    const e = this.events;
    const node = this.nodes.local(ev.node);
    e.int64(0, seq);
    e.num(1, this.src);
    e.str(2, node);
    e.int64(3, ev.ts);
    e.num(4, ord);
    e.str(5, ev.kind);
    e.str(6, pid);
    const peer = ev.peer === undefined ? null : peerText(t, ev.peer);
    const peerNode = ev.peer === undefined ? null : this.nodes.peer(t.nodeOf(ev.peer, ev.node), Number(ev.ts));
    const mfa = ev.mfa === undefined ? null : t.mfa(ev.mfa);
    e.str(7, peer);
    e.str(8, peerNode);
    e.str(9, mfa);
    e.str(10, termText);
    e.int64(11, termId);
    e.endRow();
    if (ev.kind === 'drop') this.addDrop(ev, ord);
    // add first: it may grow (replace) tsw
    if (this.store !== undefined) this.storeTs(this.store.add(ev.kind, node, pid, peer, peerNode, mfa, termText, termId));
    const call = ev.term !== undefined && isMessageKind(ev.kind) ? this.callMessage(ev.term, ev.node, Number(ev.ts)) : null;
    this.afterRow(ev.kind, node, pid, seq, ev.term, ev.mfa, call, undefined);
  }

  /**
   * A chunk of events as columns (an otpscope archive's): the same rows as
   * `add` for each of its events, with no object per event; each process,
   * MFA and payload of the chunk's tables is rendered (and inspected for a
   * GenServer call) once, however many events refer to it.
   */
  addColumns(c: EventColumns): void {
    const t = this.text;
    const raw = c.node;
    const node = this.nodes.local(raw);
    // A peer of a node name with several runs is the run at the event's time: its node is not kept per chunk entry.
    const timed = this.nodes.timed;
    const e = this.events;
    const pidText: string[] = new Array(c.pids.length);
    const keys: string[] = new Array(c.pids.length);
    const peers: string[] = new Array(c.pids.length);
    const peerNodes: string[] = new Array(c.pids.length);
    const mfaText: string[] = new Array(c.mfas.length);
    const termText: string[] = new Array(c.termCount);
    const calls: (CallMessage | null)[] = new Array(c.termCount);
    // The same entries' text ids in the events columns (ColumnBuilder.textId): looked up once per chunk entry.
    const nodeId = e.textId(2, node);
    const kindIds = new Int32Array(EVENT_KINDS.length).fill(-1);
    const pidIds: number[] = new Array(c.pids.length);
    const peerIds: number[] = new Array(c.pids.length);
    const peerNodeIds: number[] = new Array(c.pids.length);
    const mfaIds: number[] = new Array(c.mfas.length);
    // stream mode: the store's ids of the same entries
    const st = this.store;
    const procIds: number[] = st === undefined ? [] : new Array(c.pids.length);
    const storePeerIds: number[] = st === undefined ? [] : new Array(c.pids.length);
    const storeMfaIds: number[] = st === undefined ? [] : new Array(c.mfas.length);
    const termIds: number[] = st === undefined ? [] : new Array(c.termCount);
    // Without a store, a term's text goes only into the term column: written there as bytes (no string), and
    // copied from the row that first wrote it when another event of the chunk carries the same term.
    const termRows = st === undefined ? new Int32Array(c.termCount).fill(-1) : null;
    // ts = tsBase + tsRel[i] as two 32-bit words, without a BigInt per event (int64 wraps like BigInt64Array's).
    const base = BigInt.asIntN(64, c.tsBase);
    const baseHi = Number(base >> 32n);
    const baseLo = Number(base & 0xffffffffn);
    for (let i = 0; i < c.n; i++) {
      const code = c.kind[i];
      const kind = EVENT_KINDS[code];
      this.position++;
      this.count++;
      const seq = this.seqBase + this.count - 1;
      const pi = c.pid[i];
      const pid = code === DROP ? null : (pidText[pi] ??= t.pid(c.pids[pi]));
      const qi = c.peer[i];
      const peer = qi < 0 ? null : (peers[qi] ??= peerText(t, c.pids[qi]));
      const at = timed ? Number(c.tsBase) + c.tsRel[i] : 0;
      const peerNode =
        qi < 0 ? null : timed ? this.nodes.peer(t.nodeOf(c.pids[qi], raw), at) : (peerNodes[qi] ??= this.nodes.peer(t.nodeOf(c.pids[qi], raw), 0));
      const mi = c.mfa[i];
      const mfa = mi < 0 ? null : (mfaText[mi] ??= t.mfa(c.mfas[mi]));
      const ti = c.term[i];
      // This event's term as an object, decoded only when something needs more than its (per chunk) text.
      let obj: Term | undefined;
      const term = ti < 0 || termRows !== null ? null : (termText[ti] ??= t.termOnce((obj = c.termAt(ti))));
      const v = baseLo + c.tsRel[i];
      const carry = Math.floor(v / 4294967296);
      e.int64(0, seq);
      e.num(1, this.src);
      e.textOf(2, nodeId);
      e.int64Pair(3, v - carry * 4294967296, baseHi + carry);
      e.num(4, c.order[i]);
      e.textOf(5, kindIds[code] >= 0 ? kindIds[code] : (kindIds[code] = e.textId(5, kind)));
      e.textOf(6, pid === null ? -1 : (pidIds[pi] ??= e.textId(6, pid)));
      e.textOf(7, peer === null ? -1 : (peerIds[qi] ??= e.textId(7, peer)));
      e.textOf(8, peerNode === null ? -1 : timed ? e.textId(8, peerNode) : (peerNodeIds[qi] ??= e.textId(8, peerNode)));
      e.textOf(9, mfa === null ? -1 : (mfaIds[mi] ??= e.textId(9, mfa)));
      if (termRows === null || ti < 0) e.str(10, term);
      else if (termRows[ti] >= 0) e.copyText(10, termRows[ti]);
      else {
        termRows[ti] = e.length;
        t.termInto((obj = c.termAt(ti)), e.textOut(10));
        e.endText(10);
      }
      e.int64(11, ti < 0 ? null : c.termIds[ti]);
      e.endRow();
      if (st !== undefined)
        this.storeTs(
          st.addIds(
            kind,
            pid === null ? -1 : (procIds[pi] ??= st.procs.id(node, pid)),
            peer === null ? -1 : timed ? st.procs.id(peerNode, peer) : (storePeerIds[qi] ??= st.procs.id(peerNode, peer)),
            mfa === null ? -1 : (storeMfaIds[mi] ??= st.mfas.id(mfa)),
            term === null ? -1 : (termIds[ti] ??= st.terms.id(term)),
            ti < 0 ? null : c.termIds[ti],
          ),
        );
      let call: CallMessage | null = null;
      if (ti >= 0 && isMessageKind(kind)) {
        call = calls[ti];
        if (call === undefined) call = calls[ti] = this.callMessage((obj ??= c.termAt(ti)), raw, at);
      }
      if (call !== null || AFTER_ROW[code] === 1)
        this.afterRow(
          kind,
          node,
          pid,
          seq,
          ti < 0 ? undefined : (obj ??= c.termAt(ti)),
          mi < 0 ? undefined : c.mfas[mi],
          call,
          pid === null ? undefined : (keys[pi] ??= `${node} ${pid}`),
        );
    }
  }

  /** The store's copy (stream mode) of the events row just added (`i`, from EventStore.add): its ts words. */
  private storeTs(i: number): void {
    const e = this.events;
    e.copyInt64Words(3, e.length - 1, this.store!.tsw, i);
  }

  /**
   * The rows an event adds beside its events_raw row (just written, whose ts they copy): call messages, the
   * message a callback took, states and their changes. `key` is `node pid` when the caller has it.
   */
  private afterRow(
    kind: EventKind,
    node: string,
    pid: string | null,
    seq: number,
    term: Term | undefined,
    mfa: Mfa | undefined,
    call: CallMessage | null,
    key: string | undefined,
  ): void {
    if (call !== null) {
      this.addCallMessage(call, seq, kind, node, pid);
      if (pid !== null) this.replaceState(call, kind, term!, seq, node, pid, key ?? `${node} ${pid}`);
    }
    if (kind === 'call' || kind === 'return' || kind === 'exception') {
      const k = key ?? `${node} ${pid}`;
      const ev = this.scratch;
      ev.kind = kind;
      ev.mfa = mfa;
      ev.term = term;
      if (kind === 'call' && this.unsettled.size > 0) this.settleInit(k, runsStatemEvent(ev));
      const row = this.tracker.observe(ev, k);
      if (kind === 'call') {
        // not an event a gen_statem ran from its own queue (postponed, or inserted with next_event): no message
        const m = this.tracker.calledFromQueue(k) ? undefined : mailboxMessage(ev);
        if (m !== undefined) {
          const r = this.consumed;
          this.rowStart(r, seq, node);
          r.str(4, pid);
          if (this.store === undefined) {
            // a message rebuilt for this row alone: its text straight into the column (see TermText.termInto)
            this.text.termInto(m, r.textOut(5));
            r.endText(5);
          } else {
            const msg = this.text.term(m);
            r.str(5, msg);
            this.store.noteConsumed(msg);
          }
          r.endRow();
        }
      }
      if (row !== undefined) {
        if (row.statem === undefined) this.addState(seq, node, pid, k, row.callback, row.message, row.state, row.queued);
        else {
          const ts = new Int32Array(2);
          this.events.copyInt64Words(3, this.events.length - 1, ts, 0);
          this.unsettled.set(k, { row, seq, node, pid, ts });
        }
        this.store?.noteCallbackReturn();
      }
    }
    // A state the recorder read outside callbacks (`:sys.get_state` at start).
    if (kind === 'state' && term !== undefined) this.addState(seq, node, pid, key ?? `${node} ${pid}`, 'get_state', undefined, term);
    if (kind === 'exit') {
      if (this.unsettled.size > 0) this.settleInit(key ?? `${node} ${pid}`, false);
      this.lastState.delete(key ?? `${node} ${pid}`);
      this.replacing.delete(key ?? `${node} ${pid}`);
    }
  }

  /**
   * Writes a held init state (see \`unsettled\`) as a gen_statem's or, when nothing showed it was one (the process
   * exited, or the input ended, before another callback), a gen_server's.
   */
  private settleInit(key: string, statem: boolean): void {
    const u = this.unsettled.get(key);
    if (u === undefined) return;
    this.unsettled.delete(key);
    const { row } = u;
    if (statem) this.tracker.settleInit(key, row);
    this.addState(u.seq, u.node, u.pid, key, row.callback, row.message, statem ? row.statem! : row.state, row.queued, u.ts);
  }

  /** The end of the input: init states still held are a gen_server's (see \`settleInit\`). */
  finish(): void {
    for (const key of [...this.unsettled.keys()]) this.settleInit(key, false);
  }

  /**
   * A state set from outside the callbacks: \`:sys.replace_state/2\` sends the process \`{:system, from,
   * {:replace_state, fun}}\`, its loop runs the fun on the state and answers the new state (gen_statem: \`{state,
   * data}\`, the shape of its states here), \`{:ok, state}\` from OTP 26, or \`{:error, {:callback_failed, ...}}\`
   * when the fun raised (the state is kept). The reply does not say which release sent it: \`{:ok, x}\` is read as
   * OTP 26's, so on OTP 25 and older a state that is itself \`{:ok, x}\` reads as \`x\` (docs/SCHEMA.md \`states\`). No callback runs, so without this row the state before it would read as current until the next callback,
   * and that callback's change would hold the replacement's too. Only for a process whose state is known (a
   * callback's, or one the recorder read): the reply of another process's loop (a gen_event manager's, a
   * supervisor's whose callbacks are not traced) is no state of this table's shape.
   */
  private replaceState(call: CallMessage, kind: EventKind, term: Term, seq: number, node: string, pid: string, key: string): void {
    if (kind === 'receive' && call.request) {
      if (isTuple(term) && isAtom(term.items[0], 'system') && isTuple(call.body, 2) && isAtom(call.body.items[0], 'replace_state') && this.lastState.has(key))
        this.replacing.set(key, { tag: this.text.term(call.tag), request: call.body });
    } else if (kind === 'send' && !call.request && this.replacing.size > 0) {
      const r = this.replacing.get(key);
      if (r === undefined || r.tag !== this.text.term(call.tag)) return;
      this.replacing.delete(key);
      const b = call.body;
      if (isTuple(b, 2) && isAtom(b.items[0], 'error') && isTuple(b.items[1], 3) && isAtom((b.items[1] as { items: Term[] }).items[0], 'callback_failed'))
        return;
      this.addState(seq, node, pid, key, 'replace_state', r.request, isTuple(b, 2) && isAtom(b.items[0], 'ok') ? b.items[1] : b);
    }
  }

  /**
   * The columns every per-event side table starts with (src, seq, ts, node), the ts the last events row's: written
   * one by one, as the rest of the row is by its caller (no argument array per row, as \`push\` would take).
   */
  private rowStart(r: ColumnBuilder<ColumnSpec>, seq: number, node: string, ts?: Int32Array): void {
    r.num(0, this.src);
    r.int64(1, seq);
    if (ts === undefined) r.int64Of(2, this.events, 3);
    else r.int64Words(2, ts, 0);
    r.str(3, node);
  }

  /** A `states` row, and its differences from the process's previous state; ts is the last events row's unless given. */
  private addState(
    seq: number,
    node: string,
    pid: string | null,
    key: string,
    callback: string,
    message: Term | undefined,
    state: Term,
    queued?: string,
    ts?: Int32Array,
  ): void {
    const t = this.text;
    const r = this.states;
    this.rowStart(r, seq, node, ts);
    r.str(4, pid);
    r.str(5, callback);
    r.str(6, message === undefined ? null : t.term(message));
    r.str(7, t.term(state));
    r.num(8, termSize(state));
    r.str(9, queued ?? null);
    r.endRow();
    const prev = this.lastState.get(key);
    if (prev !== undefined) {
      for (const c of diffTerms(prev, state)) {
        const r = this.stateChanges;
        this.rowStart(r, seq, node, ts);
        r.str(4, pid);
        r.str(5, renderPath(c.path));
        r.str(6, c.change);
        r.str(7, c.before === undefined ? null : t.term(c.before));
        r.str(8, c.after === undefined ? null : t.term(c.after));
        r.endRow();
      }
    }
    this.lastState.set(key, state);
  }

  /**
   * What a sent or received message says about a call made through gen:call: requests are `{label, {from, tag}, request}`
   * (the tag is a ref, or `[:alias | ref]` since OTP 24; see callLabel for the labels), replies are `{tag, reply}`;
   * null for any other message.
   */
  private callMessage(m: Term, node: string, ts: number): CallMessage | null {
    if (!isTuple(m)) return null;
    const it = m.items;
    const t = this.text;
    if (it.length === 3 && isTuple(it[1], 2) && isCallLabel(it[0], it[1].items[0])) {
      const tag = callTag(it[1].items[1]);
      const from = it[1].items[0];
      if (tag === undefined) return null;
      return { request: true, tag, tagText: null, tagId: NaN, body: it[2], from: t.pid(from), fromNode: this.nodes.peer(t.nodeOf(from, node), ts), row: -1 };
    } else if (it.length === 2) {
      const tag = callTag(it[0]);
      if (tag === undefined) return null;
      return { request: false, tag, tagText: null, tagId: NaN, body: it[1], from: null, fromNode: null, row: -1 };
    }
    return null;
  }

  private addCallMessage(c: CallMessage, seq: number, kind: EventKind, node: string, pid: string | null): void {
    const r = this.callMsgs;
    this.rowStart(r, seq, node);
    r.str(4, kind);
    r.str(5, pid);
    r.num(6, c.request ? 1 : 0);
    // A chunk's send and receive of one message share its CallMessage: the second copies the first's texts.
    if (c.row >= 0) {
      r.copyText(7, c.row);
      r.int64(8, c.tagId);
      r.copyText(9, c.row);
    } else {
      const t = this.text;
      if (this.store === undefined) {
        // The tag's and body's texts straight into their columns (no strings), the tag's id hashed from its bytes.
        const out = r.textOut(7);
        const from = out.used;
        t.termInto(c.tag, out);
        c.tagId = hashAscii(out.bytes, from, out.used);
        if (Number.isNaN(c.tagId)) c.tagId = hashString(t.term(c.tag));
        r.endText(7);
        r.int64(8, c.tagId);
        t.termInto(c.body, r.textOut(9));
        r.endText(9);
      } else {
        c.tagText = t.term(c.tag);
        c.tagId = hashString(c.tagText);
        r.str(7, c.tagText);
        r.int64(8, c.tagId);
        r.str(9, t.term(c.body));
      }
      c.row = r.length;
    }
    r.str(10, c.from);
    r.str(11, c.fromNode);
    r.endRow();
    if (c.request) this.store?.noteRequest(c.tagText!, c.fromNode!, c.from!);
    else if (kind === 'receive') this.store?.noteReplyReceive();
  }

  /**
   * Arrow IPC for every non-empty raw table, keyed by table name; the sink starts over empty. The bytes are
   * valid until the next drain (each table's builder reuses its output buffer): insert or copy them first.
   */
  drain(): [string, Uint8Array][] {
    const out: [string, Uint8Array][] = [];
    this.drainEach((name, ipc) => out.push([name, ipc]));
    return out;
  }

  /**
   * Like \`drain\`, each table's IPC handed to \`take\` as soon as it is written; with \`out\`, all of them are written
   * to that one buffer (each over the one before), so a load touches no new memory for them after its first batch.
   */
  drainEach(take: (table: string, ipc: Uint8Array) => void, out?: IpcOut): void {
    const tables: [string, ColumnBuilder<ColumnSpec>][] = [
      ['events_raw', this.events],
      ['states_raw', this.states],
      ['facts_raw', this.facts],
      ['call_msgs_raw', this.callMsgs],
      ['consumed_raw', this.consumed],
      ['state_changes_raw', this.stateChanges],
      ['supervision', this.supervision],
      ['drops_raw', this.drops],
    ];
    for (const [name, b] of tables) if (b.length > 0) take(name, b.toIPC(out));
    for (const [, b] of tables) b.reset();
  }

  /** A drop event's window: \`{count, reason}\` (an archive's drop record, with its end) or a dbg frame's count. */
  private addDrop(ev: TraceEvent, ord: number): void {
    const t = ev.term;
    const [count, reason] = t !== undefined && isTuple(t, 2) ? t.items : [t, undefined];
    this.drops.push(
      this.src,
      this.nodes.local(ev.node),
      ord,
      ev.ts,
      ev.until ?? null,
      typeof count === 'number' || typeof count === 'bigint' ? count : null,
      reason !== undefined && isAtom(reason) ? reason.name : null,
    );
  }

  /**
   * One recorded supervision tree snapshot: a list of
   * \`%{application, pid, name, module, type: :supervisor, children}\` maps whose
   * children are \`%{id, pid, type, module, children}\` (docs/FORMAT.md). Rows in
   * tree order; anything that is not such a map is skipped.
   */
  addTree(snapshot: 'start' | 'stop', node: string, tree: Term): void {
    if (!Array.isArray(tree)) return;
    const t = this.text;
    const text = (x: Term | undefined) => (x === undefined || isAtom(x, 'nil') ? null : t.term(x));
    const walk = (m: Term, application: string | null, supervisor: string | null, depth: number) => {
      if (!isMap(m)) return;
      const pid = mapValue(m, 'pid');
      const live = pid !== undefined && isPid(pid);
      this.supervision.push(
        this.src,
        this.nodes.local(live ? t.nodeOf(pid, node) : node),
        snapshot,
        application,
        supervisor,
        live ? t.pid(pid) : null,
        depth === 0 ? null : text(mapValue(m, 'id')),
        text(mapValue(m, 'type'))?.replace(/^:/, '') ?? null,
        text(mapValue(m, 'module')),
        live ? 'running' : pid !== undefined && isAtom(pid) ? pid.name : null,
        depth,
      );
      const children = mapValue(m, 'children');
      if (Array.isArray(children)) for (const c of children) walk(c, application, live ? t.pid(pid) : null, depth + 1);
    };
    for (const app of tree) {
      if (!isMap(app)) continue;
      const a = mapValue(app, 'application');
      walk(app, a === undefined ? null : t.term(a), null, 0);
    }
  }

  addFact(f: ProcessFact & { extra?: Record<string, Term> }): void {
    const t = this.text;
    const ic = f.initialCall;
    const ancestors = f.extra?.ancestors;
    const direct = f.extra?.parent;
    const parent =
      direct !== undefined && !isAtom(direct, 'nil') && !isAtom(direct, 'undefined')
        ? direct
        : Array.isArray(ancestors) && ancestors.length > 0
          ? ancestors[0]
          : undefined;
    this.facts.push(
      this.src,
      this.nodes.local(f.node),
      t.pid(f.pid),
      f.name === undefined ? null : t.term(f.name),
      ic === undefined ? null : t.mfa(ic),
      moduleOf(f.extra?.module) ?? (ic === undefined ? null : t.term(ic[0])),
      parent === undefined ? null : t.pid(parent),
      ancestors === undefined ? null : t.term(ancestors),
      f.snapshot ?? null,
      otherNameOf(t, f.extra),
    );
  }
}

const DROP = EVENT_KINDS.indexOf('drop');
/** The kinds `afterRow` does something for besides call messages. */
const AFTER_ROW = Uint8Array.from(EVENT_KINDS, (k) => (['call', 'return', 'exception', 'state', 'exit'].includes(k) ? 1 : 0));

/** A send's or receive's payload read as a GenServer call message (CALL_MSGS_RAW's columns). */
interface CallMessage {
  request: boolean;
  /** The call's ref (see callTag) and the request or reply: rendered when the row is first written. */
  tag: Term;
  body: Term;
  /** The tag's text and its hash, set when the first row is written (the text only with a store, which keeps it). */
  tagText: string | null;
  tagId: number;
  /** Requests: the caller inside `{from, tag}`, and its node. */
  from: string | null;
  fromNode: string | null;
  /** The call_msgs_raw row (of the batch being built) that first wrote this message's texts; -1 before. */
  row: number;
}

function isMessageKind(kind: EventKind): boolean {
  return kind === 'send' || kind === 'send_to_dead' || kind === 'receive';
}

/** A peer's text: a `{name, node}` destination by its name, anything else as a process. */
function peerText(t: TermText, peer: Term): string {
  return isTuple(peer, 2) && isAtom(peer.items[0]) ? t.term(peer.items[0]) : t.pid(peer);
}

function isMap(t: Term): t is ErlMap {
  return typeof t === 'object' && t !== null && !Array.isArray(t) && !(t instanceof Uint8Array) && t.t === 'map';
}

/** The value under an atom key of a map. */
function mapValue(m: ErlMap, key: string): Term | undefined {
  for (const [k, v] of m.entries) if (isAtom(k, key)) return v;
  return undefined;
}

/**
 * The name a process is known by besides a registered name (docs/SCHEMA.md `processes.name`): the first of its facts
 * `names` (format 5: `{:global, name}`, `{:via, Registry, {registry, key}}`, `{:via, module, name}`) as inspect prints
 * it, what `GenServer.call/2` takes, else its proc_lib label as `label: ` and the label's text.
 */
function otherNameOf(t: TermText, extra: Record<string, Term> | undefined): string | null {
  const names = extra?.names;
  if (Array.isArray(names) && names.length > 0) return t.term(names[0]);
  const label = extra?.label;
  if (label !== undefined && !isAtom(label, 'nil') && !isAtom(label, 'undefined')) return `label: ${t.term(label)}`;
  return null;
}

function moduleOf(m: Term | undefined): string | null {
  return m !== undefined && isAtom(m) && m.name !== 'nil' && m.name !== 'undefined' ? renderElixir(m) : null;
}

/**
 * gen:call/4 sends \`{label, {from, tag}, request}\`, and the label says who takes the request: \`:"$gen_call"\` for
 * gen_server and gen_statem, \`:system\` for \`:sys\`'s calls (get_state, replace_state, suspend...) that every
 * OTP process answers outside its callbacks, and the caller's own pid for gen_event's (\`:gen_event.call\`,
 * \`sync_notify\`, \`add_handler\`, \`which_handlers\`...: gen_event.erl passes \`self()\` as the label, so it is the
 * same pid as \`from\`, which tells such a request from any message that merely starts with a pid).
 */
function isCallLabel(label: Term, from: Term): boolean {
  if (isAtom(label)) return label.name === '$gen_call' || label.name === 'system';
  return (
    isPid(label) &&
    isPid(from) &&
    label.id === from.id &&
    label.serial === from.serial &&
    label.creation === from.creation &&
    label.node.name === from.node.name
  );
}

/**
 * What identifies one call, request and reply: gen:call's tag, a plain ref or (OTP 24+) \`[:alias | ref]\`, reduced to
 * its ref (the alias and the call's monitor). \`gen_server:multi_call\` sends one request per node under a tag of its
 * own: on OTP 25 and older \`{ref, node}\` (one ref for all the nodes, so the node is part of what identifies the call:
 * kept whole), from OTP 26 \`[[:alias | alias] | mref]\` (one alias for all the nodes, which the replies are sent to,
 * and one monitor per node): reduced to the monitor's ref, which the \`:DOWN\` of a callee gone names as gen:call's does.
 */
function callTag(t: Term): Term | undefined {
  if (typeof t !== 'object' || t === null || t instanceof Uint8Array) return undefined;
  if (Array.isArray(t)) return undefined;
  if (t.t === 'ref') return t;
  if (t.t === 'improper' && t.items.length === 1 && isRef(t.tail)) {
    const head = t.items[0];
    if (isAtom(head, 'alias')) return t.tail;
    if (typeof head === 'object' && head !== null && !(head instanceof Uint8Array) && !Array.isArray(head)) {
      if (head.t === 'improper' && head.items.length === 1 && isAtom(head.items[0], 'alias') && isRef(head.tail)) return t.tail;
    }
    return undefined;
  }
  // a node's name always has an @: a message that merely starts with {ref, atom} is no reply
  if (isTuple(t, 2) && isRef(t.items[0]) && isAtom(t.items[1]) && t.items[1].name.includes('@')) return t;
  return undefined;
}

function isRef(t: Term): boolean {
  return typeof t === 'object' && t !== null && !Array.isArray(t) && !(t instanceof Uint8Array) && t.t === 'ref';
}

/** A rough size of a term in words, for state_growth: counts the nodes of the term tree (bounded work). */
export function termSize(t: Term, budget = 100_000): number {
  let n = 0;
  const stack: Term[] = [t];
  while (stack.length > 0 && n < budget) {
    const x = stack.pop()!;
    n++;
    if (Array.isArray(x)) for (const y of x) stack.push(y);
    else if (x instanceof Uint8Array) n += x.length >> 3;
    else if (typeof x === 'object' && x !== null) {
      if (x.t === 'tuple') for (const y of x.items) stack.push(y);
      else if (x.t === 'map')
        for (const [k, v] of x.entries) {
          stack.push(k);
          stack.push(v);
        }
      else if (x.t === 'improper') {
        for (const y of x.items) stack.push(y);
        stack.push(x.tail);
      }
    }
  }
  return n;
}
