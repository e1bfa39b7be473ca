import { ColumnBuilder, type ColumnSpec } from '../ingest/columns';
import { CALLBACK_RETURN, CONSUMED, KIND, REPLY_RECEIVE, REQUEST, tsDiff, type EventStore } from './event-store';
import { CALLBACK_MFA, GEN_EVENT_HANDLER_MFA, NO_CALLBACK_TAKES, PORT_REPLY_PATTERN, SIGNAL_PATTERN, STATEM_CALL_ARGS } from '../sql/build';

/**
 * The correlations that cost the most as SQL, computed in one pass over the
 * events in `seq` order (plus a look at the finished columns where a result
 * needs the whole trace: statuses, mailbox depth order, causal links): the
 * tables `send_targets`, `messages`, `spans`, `causal_links` and
 * `mailbox_depth`, exactly as src/engine/sql builds them (the SQL is the
 * reference the tests hold this to, row for row). Pairings are counts, not
 * arrival order: the n-th send of a term to a process pairs with the n-th
 * receive of it even when clocks put the receive first, so each key keeps a
 * FIFO of whichever side is ahead.
 */

/**
 * Column specs of the tables the pass writes. Texts are ids: processes (and
 * the to_node of a send, as the process or name it went to) in
 * `text_procs`, MFAs in `text_mfas`, terms in `text_terms`; run.ts writes
 * those and joins them into the tables of docs/SCHEMA.md.
 */
export const SEND_TARGETS = {
  seq: 'i64',
  to_proc: 'i32',
  to_node_proc: 'i32',
  ts: 'i64',
  proc: 'i32',
  term_id: 'i64',
  kind: 'str',
  free_name: 'bool',
} as const;
export const MESSAGES = {
  send_seq: 'i64',
  recv_seq: 'i64',
  from_proc: 'i32',
  to_proc: 'i32',
  to_node_proc: 'i32',
  sent_at: 'i64',
  received_at: 'i64',
  msg: 'i32',
  msg_id: 'i64',
  status: 'str',
  consumed_seq: 'i64',
  consumed_at: 'i64',
  taken_at: 'i64',
} as const;
export const SPANS = {
  proc: 'i32',
  mfa: 'i32',
  depth: 'i32',
  call_seq: 'i64',
  end_seq: 'i64',
  started_at: 'i64',
  ended_at: 'i64',
  duration_ns: 'i64',
  self_ns: 'i64',
  outcome: 'str',
  args: 'i32',
  result: 'i32',
  parent_seq: 'i64',
} as const;
export const CAUSAL_LINKS = { seq: 'i64', cause_seq: 'i64', edge: 'str' } as const;
export const MAILBOX_DEPTH = { proc: 'i32', ts: 'i64', seq: 'i64', delta: 'i32', depth: 'i64' } as const;

export const STREAM_TABLES = [
  ['send_targets', SEND_TARGETS],
  ['messages', MESSAGES],
  ['spans', SPANS],
  ['causal_links', CAUSAL_LINKS],
] as const;

/** A `registrations` row (sql/names.ts), read back from DuckDB: the named sends resolve against it. */
export interface Registration {
  node: string | null;
  name: string;
  pid: string;
  registerSeq: number | null;
  unregisterSeq: number | null;
}

export interface CorrelateInput {
  store: EventStore;
  registrations: Registration[];
  /** `processes.name` -> pid per node, for names the recording knows no interval of. */
  nameFallback: { node: string | null; name: string; pid: string }[];
  /** The nodes an otpscope archive recorded (\`meta\` format \`otpscope\`): a call there with no return was still running. */
  recordedNodes?: readonly (string | null)[];
  /** Below this many events mailbox_depth sorts on one packed number per row (default and most 2^26 - 1; tests lower it to check the other way). */
  mailboxPackBelow?: number;
}

/**
 * Pairs the n-th item of side 0 with the n-th of side 1 per key; returns the
 * partner, or -1 and queues the item. Most keys hold one waiting item at a
 * time (a message id is rarely sent twice before it is received), so a lone
 * item is stored as the number \`2 * item + side\` and only a longer queue
 * gets an object: at a million messages the objects were most of the garbage.
 */
class Pairer<K> {
  private readonly byProc = new Map<number, Map<K, number | { side: number; items: number[]; head: number }>>();
  pair(proc: number, key: K, side: number, item: number): number {
    let m = this.byProc.get(proc);
    if (m === undefined) this.byProc.set(proc, (m = new Map()));
    const q = m.get(key);
    if (q === undefined) {
      m.set(key, 2 * item + side);
      return -1;
    }
    if (typeof q === 'number') {
      if ((q & 1) !== side) {
        m.delete(key);
        return (q - (q & 1)) / 2;
      }
      m.set(key, { side, items: [(q - side) / 2, item], head: 0 });
      return -1;
    }
    if (q.side !== side) {
      const other = q.items[q.head++];
      if (q.head === q.items.length) m.delete(key);
      return other;
    }
    q.items.push(item);
    return -1;
  }
}

const PORT_REPLY = new RegExp(PORT_REPLY_PATTERN);
/** After `{#PID<owner>` in a Task's first message: `, alias, alias` then the tuple's next element or its end. */
const TASK_START = /^, (#Reference<[0-9.]+>), \1[,}]/;
const SIGNAL = new RegExp(SIGNAL_PATTERN);
const CALLBACK = new RegExp(CALLBACK_MFA);
const STATEM_CALL = new RegExp(STATEM_CALL_ARGS);

export interface Correlated {
  /** send_targets, messages, spans, causal_links. */
  tables: Map<string, ColumnBuilder<ColumnSpec>>;
  /** mailbox_depth, once \`calls\` said which replies went to an inactive alias (their send seqs). */
  mailboxDepth(dropped: Set<number>): ColumnBuilder<typeof MAILBOX_DEPTH>;
  /** Per id in the store's \`terms\`: 1 if the tables refer to it. */
  usedTerms: Uint8Array;
}

export function correlate(input: CorrelateInput): Correlated {
  const { store: st, registrations } = input;
  const n = st.length;
  const procs = st.procs;
  const np = () => procs.pid.length;
  const { kind, proc, peer, termId, flags, term, tsw } = st;

  // What the pass needs to know of the whole trace first.
  const aliases = new Map<string, number>();
  // the first request in seq order (tags are kept by event, in no particular order)
  const requests = [...st.tags.keys()].sort((x, y) => x - y);
  for (const i of requests) if (flags[i] & REQUEST && !aliases.has(st.tags.get(i)!)) aliases.set(st.tags.get(i)!, st.from[i]);
  // Any other alias a send went to (a Task's reply, a :sys call's): the process that received the first message
  // sent to it (sql/build.ts BUILD_CALL_ALIASES).
  const otherAliases = firstReceivers(st, (text) => (text.startsWith('#Reference<') && !aliases.has(text) ? { key: text } : undefined));
  for (const [alias, q] of otherAliases) aliases.set(alias, q);
  for (const [alias, q] of taskOwners(st, aliases)) aliases.set(alias, q);
  const regs = new Map<string, Registration[]>();
  for (const r of registrations) {
    const k = `${r.node}\u0000${r.name}`;
    let l = regs.get(k);
    if (l === undefined) regs.set(k, (l = []));
    l.push(r);
  }
  for (const l of regs.values()) l.sort((a, b) => (a.registerSeq ?? -1) - (b.registerSeq ?? -1));
  const fallback = new Map<string, string>();
  for (const f of input.nameFallback) {
    const k = `${f.node}\u0000${f.name}`;
    if (!fallback.has(k)) fallback.set(k, f.pid);
  }
  // A name the recording knows nothing of (a raw trace begun after it was registered): the process that received the
  // first message sent to it, on the name's node (sql/names.ts BUILD_NAMED_SENDS).
  const inferred = firstReceivers(st, (text, node) => {
    if (text.startsWith('<') || text.startsWith('#') || node === null) return undefined;
    const key = `${node}\u0000${text}`;
    return regs.has(key) || fallback.has(key) ? undefined : { key, node };
  });

  // Resolves send targets (send_targets) and pairs as it goes.
  const sendTgt = new Int32Array(n).fill(-1);
  /** Per send: a process or name whose node is where the send went (to_node), -1 for NULL. */
  const sendToNode = new Int32Array(n).fill(-1);
  const free = new Uint8Array(n);
  const stOut = new ColumnBuilder(SEND_TARGETS);
  const msgSend: number[] = [];
  const msgRecv: number[] = [];
  /** Per message: -1 no callback could take it, -2 one could but none did, else the callback's call event. */
  const msgTook: number[] = [];
  const slotOfRecv = new Int32Array(n).fill(-1);
  const slotOfSend = new Int32Array(n).fill(-1);
  const pairs = new Pairer<number>();
  const takes = new Pairer<number>();
  /** Per term id: 0 not known yet, 1 a callback could take a message with this text, 2 not (timeouts, system messages). */
  const takeableCache = new Uint8Array(st.terms.texts.length);
  const takeable = (t: number): boolean => {
    if (takeableCache[t] === 0) {
      const text = st.terms.texts[t];
      takeableCache[t] = text !== ':timeout' && !NO_CALLBACK_TAKES.some((x) => text.startsWith(x)) ? 1 : 2;
    }
    return takeableCache[t] === 1;
  };
  let tracked: Uint8Array = new Uint8Array(np());
  for (let i = 0; i < n; i++) if (flags[i] & CONSUMED) tracked[proc[i]] = 1;
  // gen_event managers: no callback takes their messages one by one (GEN_EVENT_HANDLER_MFA)
  const manager = new Uint8Array(np());
  const handlerMfa = st.mfas.texts.map((m) => m.endsWith(GEN_EVENT_HANDLER_MFA));
  for (let i = 0; i < n; i++) if (kind[i] === KIND.call && st.mfa[i] >= 0 && handlerMfa[st.mfa[i]] && proc[i] >= 0) manager[proc[i]] = 1;

  for (let i = 0; i < n; i++) {
    const k = kind[i];
    if (k === KIND.send || k === KIND.send_to_dead) {
      let tgt = -1;
      let toNode: string | null = null;
      const q = peer[i];
      if (q >= 0) {
        const text = procs.pid[q];
        toNode = procs.node[q];
        // A pid, or a port (`Port ! {self(), {:command, data}}`): the send goes to it as written.
        if (text.startsWith('<') || text.startsWith('#Port<')) tgt = q;
        else if (text.startsWith('#')) {
          const a = aliases.get(text);
          if (a !== undefined) {
            tgt = a;
            toNode = procs.node[a];
          }
        } else {
          const l = regs.get(`${toNode}\u0000${text}`);
          let pid: string | null = null;
          if (l !== undefined) {
            // The latest interval of the name that started before the send, if it had not ended yet.
            let lo = 0;
            let hi = l.length;
            while (lo < hi) {
              const mid = (lo + hi) >> 1;
              if ((l[mid].registerSeq ?? -1) < i) lo = mid + 1;
              else hi = mid;
            }
            const r = lo > 0 ? l[lo - 1] : undefined;
            if (r !== undefined && (r.unregisterSeq === null || r.unregisterSeq > i)) pid = r.pid;
            else free[i] = 1;
          } else pid = fallback.get(`${toNode}\u0000${text}`) ?? null;
          if (pid !== null) tgt = procs.id(toNode, pid);
          else if (l === undefined) tgt = inferred.get(`${toNode}\u0000${text}`) ?? -1;
        }
      }
      sendTgt[i] = tgt;
      sendToNode[i] = tgt >= 0 ? tgt : q;
      stOut.int64(0, i);
      stOut.id(1, tgt);
      stOut.id(2, sendToNode[i]);
      stOut.int64Words(3, tsw, i);
      stOut.id(4, proc[i]);
      stOut.int64(5, Number.isNaN(termId[i]) ? null : termId[i]);
      stOut.str(6, k === KIND.send ? 'send' : 'send_to_dead');
      stOut.num(7, free[i]);
      stOut.endRow();
      let slot = -1;
      if (k === KIND.send && tgt >= 0 && !Number.isNaN(termId[i])) {
        const r = pairs.pair(tgt, termId[i], 0, i);
        if (r >= 0) slot = slotOfRecv[r];
      }
      if (slot < 0) {
        slot = msgSend.length;
        msgSend.push(i);
        msgRecv.push(-1);
        msgTook.push(-1);
      } else msgSend[slot] = i;
      slotOfSend[i] = slot;
    } else if (k === KIND.receive) {
      const p = proc[i];
      let slot = -1;
      if (p >= 0 && !Number.isNaN(termId[i])) {
        const s = pairs.pair(p, termId[i], 1, i);
        if (s >= 0) slot = slotOfSend[s];
      }
      if (slot < 0) {
        slot = msgSend.length;
        msgSend.push(-1);
        msgRecv.push(i);
        msgTook.push(-1);
      } else msgRecv[slot] = i;
      slotOfRecv[i] = slot;
      const t = term[i];
      if (p >= 0 && tracked[p] && !manager[p] && !(flags[i] & REPLY_RECEIVE) && t >= 0 && takeable(t)) {
        const c = takes.pair(p, t, 1, slot);
        msgTook[slot] = c >= 0 ? c : -2;
      }
    } else if (k === KIND.call && flags[i] & CONSUMED) {
      const slot = takes.pair(proc[i], st.took[i], 0, i);
      if (slot >= 0) msgTook[slot] = i;
    }
  }
  tracked = tracked.length < np() ? grown(tracked, np()) : tracked;
  return finish(input, { sendTgt, sendToNode, free, msgSend, msgRecv, msgTook, slotOfRecv, tracked, stOut });
}

interface Paired {
  sendTgt: Int32Array;
  sendToNode: Int32Array;
  free: Uint8Array;
  msgSend: number[];
  msgRecv: number[];
  msgTook: number[];
  slotOfRecv: Int32Array;
  tracked: Uint8Array;
  stOut: ColumnBuilder<typeof SEND_TARGETS>;
}

/**
 * Aliases that no call carried and nothing sent to them reached (an Elixir Task's, deactivated when Task.await timed
 * out), each to the process that handed it to the alias's first sender in the message a Task starts with, `{owner,
 * alias, alias}`, sent before (sql/build.ts BUILD_CALL_ALIASES).
 */
function taskOwners(st: EventStore, known: Map<string, number>): Map<string, number> {
  const { kind, proc, peer, termId, procs, term, terms } = st;
  const n = st.length;
  // per unresolved alias's first sender: the aliases it sent to first, and where
  const wanted = new Map<number, Map<string, { alias: string; seq: number }>>();
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    if (kind[i] !== KIND.send || peer[i] < 0 || Number.isNaN(termId[i]) || proc[i] < 0) continue;
    const alias = procs.pid[peer[i]];
    if (!alias.startsWith('#Reference<') || seen.has(alias)) continue;
    seen.add(alias);
    if (known.has(alias)) continue;
    let w = wanted.get(proc[i]);
    if (w === undefined) wanted.set(proc[i], (w = new Map()));
    w.set(alias, { alias, seq: i });
  }
  const found = new Map<string, number>();
  if (wanted.size === 0) return found;
  for (let i = 0; i < n; i++) {
    if (kind[i] !== KIND.send || peer[i] < 0 || proc[i] < 0 || term[i] < 0) continue;
    const w = wanted.get(peer[i]);
    if (w === undefined) continue;
    const head = `{#PID${procs.pid[proc[i]]}`;
    const text = terms.texts[term[i]];
    if (!text.startsWith(head)) continue;
    const a = TASK_START.exec(text.slice(head.length));
    const x = a === null ? undefined : w.get(a[1]);
    if (x !== undefined && x.seq > i && !found.has(x.alias)) found.set(x.alias, proc[i]);
  }
  return found;
}

/**
 * Targets of sends that nothing else resolves (an alias no call carried, a name the recording knows nothing of), each
 * to the process that received the first message sent to it: the first receive of the same term after that send, on
 * the target's node when it has one. \`target\` gives a send's key (and node) from its peer's text and node, or
 * undefined for a send not to resolve this way; the first send to each key counts.
 */
function firstReceivers(st: EventStore, target: (text: string, node: string | null) => { key: string; node?: string } | undefined): Map<string, number> {
  const { kind, proc, peer, termId, procs } = st;
  const n = st.length;
  const found = new Map<string, number>();
  const firstSends = new Map<number, { key: string; node?: string; seq: number }[]>();
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    if (kind[i] !== KIND.send || peer[i] < 0 || Number.isNaN(termId[i])) continue;
    const t = target(procs.pid[peer[i]], procs.node[peer[i]]);
    if (t === undefined || seen.has(t.key)) continue;
    seen.add(t.key);
    let l = firstSends.get(termId[i]);
    if (l === undefined) firstSends.set(termId[i], (l = []));
    l.push({ ...t, seq: i });
  }
  if (firstSends.size > 0)
    for (let i = 0; i < n; i++) {
      if (kind[i] !== KIND.receive || proc[i] < 0) continue;
      const l = firstSends.get(termId[i]);
      if (l === undefined) continue;
      const node = procs.node[proc[i]];
      const here = (x: { node?: string }) => x.node === undefined || x.node === node;
      for (const x of l) if (x.seq < i && here(x)) found.set(x.key, proc[i]);
      const later = l.filter((x) => x.seq >= i || !here(x));
      if (later.length > 0) firstSends.set(termId[i], later);
      else firstSends.delete(termId[i]);
    }
  return found;
}

/** What needs the pairings complete: statuses and the message rows, mailbox depth, causal links; then spans. */
function finish(input: CorrelateInput, p: Paired): Correlated {
  const st = input.store;
  const n = st.length;
  const procs = st.procs;
  const np = procs.pid.length;
  const { kind, proc, termId, term, tsw } = st;
  const exitAt = new Int32Array(np).fill(-1);
  const receives = new Uint8Array(np);
  const spawnedBy = new Int32Array(np).fill(-1);
  /** When each node's tracing ran (by node text): its first and last event of a process other than a state. */
  const windows = new Map<string | null, [number, number]>();
  for (let i = 0; i < n; i++) {
    const q = proc[i];
    const k = kind[i];
    if (q >= 0 && k !== KIND.state) {
      const w = windows.get(procs.node[q]);
      if (w === undefined) windows.set(procs.node[q], [i, i]);
      else {
        if (tsDiff(tsw, i, w[0]) < 0) w[0] = i;
        if (tsDiff(tsw, i, w[1]) > 0) w[1] = i;
      }
    }
    // processes.exited_at: the latest exit, for the pids `processes` lists
    if (k === KIND.exit && q >= 0 && procs.pid[q].startsWith('<') && (exitAt[q] < 0 || tsDiff(tsw, i, exitAt[q]) > 0)) exitAt[q] = i;
    else if (k === KIND.receive && q >= 0) receives[q] = 1;
    else if (k === KIND.spawn && st.peer[i] >= 0 && spawnedBy[st.peer[i]] < 0) spawnedBy[st.peer[i]] = i;
  }

  /** Sent to another node before its recording started or after it ended: nothing known of its arrival. */
  const outsideWindow = (s: number, toNode: number): boolean => {
    const w = toNode >= 0 ? windows.get(procs.node[toNode]) : undefined;
    return w !== undefined && (tsDiff(tsw, s, w[0]) < 0 || tsDiff(tsw, s, w[1]) > 0);
  };
  const out = new ColumnBuilder(MESSAGES);
  const m = p.msgSend.length;
  const timeoutTerm = st.terms.find(':timeout');
  /** The terms the tables refer to: only those go into `text_terms`. */
  const usedTerms = new Uint8Array(st.terms.texts.length);
  const afterTimeout = new Uint8Array(n);
  const sendOfRecv = new Int32Array(n).fill(-1);
  /** Whether a term (by id) is a message the runtime made from a signal; each text is tested once. */
  const signalTerms = new Map<number, boolean>();
  const isSignal = (text: number): boolean => {
    let yes = signalTerms.get(text);
    if (yes === undefined) signalTerms.set(text, (yes = SIGNAL.test(st.terms.texts[text]!)));
    return yes;
  };
  /** Per process: its latest receive a callback took, -1 none. */
  const lastTaken = new Int32Array(np).fill(-1);
  for (let j = 0; j < p.msgSend.length; j++) {
    const r = p.msgRecv[j];
    if (p.msgTook[j] >= 0 && r >= 0 && proc[r] >= 0 && r > lastTaken[proc[r]]) lastTaken[proc[r]] = r;
  }
  /**
   * Per process: its last callback return, if it went back to the main loop (not a stop), no callback was called after
   * it and its node traced a call later; else -1: the mailbox was empty then (msg_took's \`back\` in BUILD_MESSAGES).
   */
  const lastCall = new Map<string | null, number>();
  const lastRet = new Int32Array(np).fill(-1);
  const lastCallback = new Int32Array(np).fill(-1);
  const callbackMfa = new Map<number, boolean>();
  const isCallback = (m: number) => {
    let yes = callbackMfa.get(m);
    if (yes === undefined) callbackMfa.set(m, (yes = m >= 0 && CALLBACK.test(st.mfas.texts[m])));
    return yes;
  };
  const arity3 = new Map<number, boolean>();
  const statemArgs = new Map<number, boolean>();
  /** A gen_statem state function's call, whatever event it ran (STATEM_CALL_ARGS). */
  const isStatemCall = (m: number, t: number) => {
    if (m < 0 || t < 0) return false;
    let three = arity3.get(m);
    if (three === undefined) arity3.set(m, (three = st.mfas.texts[m].endsWith('/3')));
    if (!three) return false;
    let yes = statemArgs.get(t);
    if (yes === undefined) statemArgs.set(t, (yes = STATEM_CALL.test(st.terms.texts[t]!)));
    return yes;
  };
  for (let i = 0; i < n; i++) {
    const q = proc[i];
    if (q < 0) continue;
    if (kind[i] === KIND.call) {
      const c = lastCall.get(procs.node[q]);
      if (c === undefined || tsDiff(tsw, i, c) > 0) lastCall.set(procs.node[q], i);
      if (st.flags[i] & CONSUMED || isCallback(st.mfa[i]) || isStatemCall(st.mfa[i], term[i])) lastCallback[q] = i;
    } else if (st.flags[i] & CALLBACK_RETURN) lastRet[q] = i;
  }
  const lastBack = new Int32Array(np).fill(-1);
  for (let q = 0; q < np; q++) {
    const i = lastRet[q];
    if (i < 0 || kind[i] !== KIND.return || lastCallback[q] > i) continue;
    const c = lastCall.get(procs.node[q]);
    const text = term[i] >= 0 ? st.terms.texts[term[i]] : '';
    if (c !== undefined && tsDiff(tsw, i, c) < 0 && !text.startsWith('{:stop, ') && !text.startsWith('{:stop_and_reply, ')) lastBack[q] = i;
  }
  /** Messages that entered a mailbox: [message, receiver, in event, out event (-1), out seq (-1 NULL)]. */
  const queued: number[] = [];
  for (let j = 0; j < m; j++) {
    const s = p.msgSend[j];
    const r = p.msgRecv[j];
    const took = p.msgTook[j];
    const tgt = s >= 0 ? p.sendTgt[s] : proc[r];
    const toNode = s >= 0 ? p.sendToNode[s] : proc[r];
    // one a callback could take but none did, before one a callback of that process took or before a callback's
    // return to the main loop: taken inside a callback (the main loop takes the mailbox in order), as it came
    // (msg_took's \`inside\` in BUILD_MESSAGES)
    let taken = r < 0 ? -1 : took >= 0 ? took : took === -2 ? (lastTaken[proc[r]] > r || lastBack[proc[r]] > r ? r : -1) : r;
    const exited = tgt >= 0 ? exitAt[tgt] : -1;
    const text = term[s >= 0 ? s : r];
    let status: string;
    if (s >= 0 && kind[s] === KIND.send_to_dead) status = 'send_to_dead';
    else if (s < 0 && text >= 0 && text === timeoutTerm) status = 'after_timeout';
    else if (s < 0 && text >= 0 && isSignal(text)) {
      status = 'signal';
      // no callback took it: it left the mailbox as it came (OTP's code takes these outside the callbacks)
      if (taken < 0) taken = r;
    } else if (s < 0) status = 'sender_not_traced';
    else if (p.free[s]) status = 'unregistered_name';
    else if (taken >= 0) status = 'received';
    else if (r < 0 && procs.pid[proc[s]]?.startsWith('#Port<') && text >= 0 && PORT_REPLY.test(st.terms.texts[text]!)) status = 'port_reply';
    else if (exited >= 0) status = 'receiver_exited';
    else if (tgt >= 0 && (receives[tgt] || p.tracked[tgt])) status = outsideWindow(s, toNode) ? 'receiver_not_traced' : 'queued_at_end';
    else status = 'receiver_not_traced';
    if (r >= 0) {
      sendOfRecv[r] = s;
      if (status === 'after_timeout') afterTimeout[r] = 1;
    }
    out.int64(0, s >= 0 ? s : null);
    out.int64(1, r >= 0 ? r : null);
    out.id(2, s >= 0 ? proc[s] : -1);
    out.id(3, tgt);
    out.id(4, toNode);
    out.int64Words(5, tsw, s);
    out.int64Words(6, tsw, r);
    out.id(7, text);
    if (text >= 0) usedTerms[text] = 1;
    const id = s >= 0 && !Number.isNaN(termId[s]) ? termId[s] : r >= 0 && !Number.isNaN(termId[r]) ? termId[r] : null;
    out.int64(8, id);
    out.str(9, status);
    out.int64(10, took >= 0 ? took : null);
    out.int64Words(11, tsw, took);
    out.int64Words(12, tsw, taken);
    out.endRow();
    if (status === 'received' || status === 'queued_at_end' || status === 'receiver_exited' || status === 'sender_not_traced' || status === 'signal') {
      const inAt = s >= 0 ? s : r;
      if (taken >= 0) queued.push(j, tgt, inAt, taken, took >= 0 ? took : r);
      else if (exited >= 0 && tsDiff(tsw, exited, inAt) >= 0) queued.push(j, tgt, inAt, exited, -1);
      else queued.push(j, tgt, inAt, -1, -1);
    }
  }

  // causal_links: a receive's cause is its send; anything else follows its process's latest receive, or its spawn.
  const links = new ColumnBuilder(CAUSAL_LINKS);
  const lastRecv = new Int32Array(np).fill(-1);
  for (let i = 0; i < n; i++) {
    const q = proc[i];
    if (q < 0 || kind[i] === KIND.drop) continue;
    links.int64(0, i);
    if (kind[i] === KIND.receive) {
      const s = sendOfRecv[i];
      links.int64(1, s >= 0 ? s : null);
      links.str(2, s >= 0 ? 'message' : null);
      if (!afterTimeout[i]) lastRecv[q] = i;
    } else if (lastRecv[q] >= 0) {
      links.int64(1, lastRecv[q]);
      links.str(2, 'process');
    } else if (spawnedBy[q] >= 0 && spawnedBy[q] < i) {
      links.int64(1, spawnedBy[q]);
      links.str(2, 'spawn');
    } else {
      links.int64(1, null);
      links.str(2, null);
    }
    links.endRow();
  }

  return {
    tables: new Map<string, ColumnBuilder<ColumnSpec>>([
      ['send_targets', p.stOut],
      ['messages', out],
      ['spans', buildSpans(st, usedTerms, input.recordedNodes ?? [])],
      ['causal_links', links],
    ]),
    mailboxDepth: (dropped) => buildMailboxDepth(st, queued, exitAt, p.msgRecv, (j) => dropped.has(p.msgSend[j]), input.mailboxPackBelow),
    usedTerms,
  };
}

/**
 * mailbox_depth: +1 when a message entered its receiver's queue, -1 when it
 * left (taken, or the receiver exited), running sum per receiver in (ts,
 * -delta, seq) order. Waits for \`calls\`: replies to an alias the caller had
 * given up on (\`alias_inactive\`, sql/build.ts markDroppedReplies) never
 * entered a mailbox, and messages whose fate the recorder's drops hid
 * (\`in_drop\`, markInDrop) count in none.
 */
function buildMailboxDepth(
  st: EventStore,
  queued: number[],
  exitAt: Int32Array,
  msgRecv: number[],
  isDropped: (message: number) => boolean,
  packBelow = 2 ** 26 - 1,
): ColumnBuilder<typeof MAILBOX_DEPTH> {
  const { tsw } = st;
  /** Per receiver: [ts event, delta, seq (-1 NULL)] triples. */
  const changes = new Map<number, number[]>();
  const change = (q: number, tsAt: number, delta: number, seq: number) => {
    let l = changes.get(q);
    if (l === undefined) changes.set(q, (l = []));
    l.push(tsAt, delta, seq);
  };
  for (let k = 0; k < queued.length; k += 5) {
    const [j, q, inAt, outAt, outSeq] = [queued[k], queued[k + 1], queued[k + 2], queued[k + 3], queued[k + 4]];
    if (isDropped(j)) continue;
    change(q, inAt, 1, inAt);
    if (outAt >= 0) change(q, outAt, -1, outSeq);
  }
  // Order by (ts, -delta, seq NULLS LAST): seq order is ts order (the engine resequences when it is not), so a
  // dense rank of ts stands for ts. Below 2^26 events rank, delta and seq pack into one double that sorts as
  // a number; past it the rows sort by comparing the three.
  const rank = new Float64Array(st.length);
  for (let i = 1; i < st.length; i++) rank[i] = rank[i - 1] + (tsDiff(tsw, i, i - 1) !== 0 ? 1 : 0);
  const SEQ = 2 ** 26;
  const packed = st.length < Math.min(packBelow, SEQ - 1);
  const depth = new ColumnBuilder(MAILBOX_DEPTH);
  const row = (q: number, seq: number, delta: number, d: number) => {
    depth.num(0, q);
    depth.int64Words(1, tsw, seq < 0 ? exitAt[q] : seq);
    depth.int64(2, seq < 0 ? null : seq);
    depth.num(3, delta);
    depth.int64(4, d);
    depth.endRow();
  };
  for (const [q, l] of changes) {
    const rows = l.length / 3;
    let d = 0;
    if (packed) {
      const keys = new Float64Array(rows);
      for (let k = 0; k < rows; k++) {
        const seq = l[3 * k + 2];
        keys[k] = (rank[l[3 * k]] * 2 + (l[3 * k + 1] > 0 ? 0 : 1)) * SEQ + (seq < 0 ? SEQ - 1 : seq);
      }
      keys.sort();
      for (const key of keys) {
        const seq = key % SEQ;
        const delta = Math.floor(key / SEQ) % 2 === 0 ? 1 : -1;
        d += delta;
        row(q, seq === SEQ - 1 ? -1 : seq, delta, d);
      }
    } else {
      const order = Int32Array.from({ length: rows }, (_, k) => k);
      const seqKey = (k: number) => (l[3 * k + 2] < 0 ? Infinity : l[3 * k + 2]);
      order.sort((x, y) => rank[l[3 * x]] - rank[l[3 * y]] || l[3 * y + 1] - l[3 * x + 1] || seqKey(x) - seqKey(y));
      for (const k of order) {
        d += l[3 * k + 1];
        row(q, l[3 * k + 2], l[3 * k + 1], d);
      }
    }
  }
  return depth;
}

/** The module part of an MFA text (`MyApp.Worker.handle_call/3` → `MyApp.Worker`), as sql/spans-states.ts cuts it. */
function moduleOfMfa(mfa: string): string {
  return /^(.+)\.[^.]*\/[0-9]+$/.exec(mfa)?.[1] ?? '';
}

/**
 * spans: per process, a call's depth is the number of its calls still open;
 * a call pairs with the next row at its depth if that is the return or
 * exception of the same function. The parent is the latest call one level
 * up, unless that one had already ended. A call of a function that never
 * returns in the trace opens no level (but an `init/1` of a module whose functions return: it entered the server's
 * loop), and a return with none open closes
 * none (as sql/spans-states.ts says why), and is `no_return` unless an otpscope archive recorded its node. A call
 * with no return ends, as
 * `untraced`, at the first sampled read of its process's state after it; one
 * left `unfinished` whose return the recorder's drops may hide becomes
 * `in_drop` after the pass, by the SQL build's own statements
 * (sql/spans-states.ts markSpansInDrop: the drop windows are DuckDB's).
 */
function buildSpans(st: EventStore, usedTerms: Uint8Array, recordedNodes: readonly (string | null)[]): ColumnBuilder<typeof SPANS> {
  const n = st.length;
  const { kind, proc, mfa, tsw, term } = st;
  const level = new Map<number, number>();
  /** Per process and depth: the last row there if it is a call still waiting for its next row. */
  const waiting = new Map<number, Map<number, number>>();
  const lastCall = new Map<number, Map<number, number>>();
  const calls: number[] = [];
  const depthOf: number[] = [];
  const parentOf: number[] = [];
  const endOf = new Map<number, number>();
  // Functions with a return or exception anywhere, and `init/1` of a module with one (a server's init that entered
  // its loop never returns): a call of any other (traced without return_trace) opens no level.
  const returns = new Set<number>();
  for (let i = 0; i < n; i++) if (kind[i] === KIND.return || kind[i] === KIND.exception) returns.add(mfa[i]);
  const returningModules = new Set<string>();
  for (const m of returns) if (m >= 0) returningModules.add(moduleOfMfa(st.mfas.texts[m]));
  st.mfas.texts.forEach((text, m) => {
    if (text.endsWith('.init/1') && returningModules.has(moduleOfMfa(text))) returns.add(m);
  });
  for (let i = 0; i < n; i++) {
    const k = kind[i];
    if (k !== KIND.call && k !== KIND.return && k !== KIND.exception) continue;
    const q = proc[i];
    let lv = level.get(q) ?? 0;
    let w = waiting.get(q);
    if (w === undefined) {
      waiting.set(q, (w = new Map()));
      lastCall.set(q, new Map());
    }
    const lc = lastCall.get(q)!;
    // A return with no call open (its call was not traced) closes none: the level stays at 0.
    const d = k !== KIND.call ? (lv = Math.max(0, lv - 1)) : returns.has(mfa[i]) ? lv++ : lv;
    level.set(q, lv);
    const c = w.get(d);
    if (c !== undefined) {
      if (k !== KIND.call && mfa[c] === mfa[i]) endOf.set(c, i);
      w.delete(d);
    }
    if (k === KIND.call) {
      w.set(d, i);
      const up = lc.get(d - 1);
      calls.push(i);
      depthOf.push(d);
      parentOf.push(up !== undefined && !endOf.has(up) ? up : -1);
      lc.set(d, i);
    }
  }
  // Calls with no return, ended by a later sampled state read of their process (untraced from then on).
  const readAfter = untracedEnds(st, calls, endOf);
  // A call of a function that returns nowhere is an instant (`no_return`), except on a node an otpscope archive
  // recorded (the recorder traces every function with return_trace: the call was still running).
  const recorded = new Set(recordedNodes);
  const childNs = new Map<number, number>();
  for (let j = 0; j < calls.length; j++) {
    const e = endOf.get(calls[j]) ?? readAfter.get(calls[j]);
    if (parentOf[j] >= 0 && e !== undefined) childNs.set(parentOf[j], (childNs.get(parentOf[j]) ?? 0) + tsDiff(tsw, e, calls[j]));
  }
  const out = new ColumnBuilder(SPANS);
  for (let j = 0; j < calls.length; j++) {
    const c = calls[j];
    const e = endOf.get(c) ?? -1;
    // the event whose time ends the span: its return or exception, else a later read of its state
    const t = e >= 0 ? e : (readAfter.get(c) ?? -1);
    const q = proc[c];
    out.id(0, q);
    out.id(1, mfa[c]);
    out.num(2, depthOf[j]);
    out.int64(3, c);
    out.int64(4, e >= 0 ? e : null);
    out.int64Words(5, tsw, c);
    out.int64Words(6, tsw, t);
    const dur = t >= 0 ? tsDiff(tsw, t, c) : null;
    out.int64(7, dur);
    out.int64(8, dur === null ? null : dur - (childNs.get(c) ?? 0));
    out.str(
      9,
      e >= 0
        ? kind[e] === KIND.return
          ? 'return'
          : 'exception'
        : t >= 0
          ? 'untraced'
          : returns.has(mfa[c]) || recorded.has(st.procs.node[q])
            ? 'unfinished'
            : 'no_return',
    );
    const args = term[c];
    const result = e >= 0 ? term[e] : -1;
    out.id(10, args);
    out.id(11, result);
    if (args >= 0) usedTerms[args] = 1;
    if (result >= 0) usedTerms[result] = 1;
    out.int64(12, parentOf[j] >= 0 ? parentOf[j] : null);
    out.endRow();
  }
  return out;
}

/**
 * For each call with no return, the first sampled state read (a `state` event of `….get_state/1`) of its process
 * after it, if any: the recorder reads a state from the process's receive loop, so every earlier call had returned.
 * Reads are few (about one a second per process whose calls stopped being traced).
 */
function untracedEnds(st: EventStore, calls: number[], endOf: Map<number, number>): Map<number, number> {
  const { kind, proc, mfa } = st;
  const readMfas = new Set<number>();
  st.mfas.texts.forEach((m, id) => {
    if (m.endsWith('.get_state/1')) readMfas.add(id);
  });
  const out = new Map<number, number>();
  if (readMfas.size === 0) return out;
  const reads = new Map<number, number[]>();
  for (let i = 0; i < st.length; i++) {
    if (kind[i] !== KIND.state || !readMfas.has(mfa[i])) continue;
    let r = reads.get(proc[i]);
    if (r === undefined) reads.set(proc[i], (r = []));
    r.push(i);
  }
  for (const c of calls) {
    if (endOf.has(c)) continue;
    const r = reads.get(proc[c]);
    if (r === undefined) continue;
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid] > c) hi = mid;
      else lo = mid + 1;
    }
    if (lo < r.length) out.set(c, r[lo]);
  }
  return out;
}

function grown(a: Uint8Array, n: number): Uint8Array {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}
