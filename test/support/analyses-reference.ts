/**
 * Slow, obvious TypeScript versions of the analysis SQL, written from the
 * definitions in docs/SCHEMA.md rather than from the SQL, so the property
 * tests can compare the two on random traces. Inputs are rows of the
 * `events` table (after seq numbering) plus the rebuilt mailbox messages of
 * callback calls (`consumed`). Peers must be pids: the references do not
 * resolve registered names or call aliases.
 */
export interface EventRow {
  seq: number;
  ts: bigint;
  node: string;
  pid: string | null;
  kind: string;
  peer: string | null;
  peer_node: string | null;
  mfa: string | null;
  term: string | null;
  term_id: number | null;
}

export interface ConsumedRow {
  seq: number;
  node: string;
  pid: string;
  msg: string;
}

export interface RefMessage {
  send_seq: number | null;
  recv_seq: number | null;
  to_node: string;
  to_pid: string;
  /** Set here for \`signal\` messages only (the sender of a sent message is its send's process). */
  from_pid?: string | null;
  from_node?: string | null;
  sent_at: bigint | null;
  received_at: bigint | null;
  status: string;
  consumed_seq: number | null;
  taken_at: bigint | null;
}

const key = (node: string | null, pid: string | null) => `${node} ${pid}`;

/** Per process (\`node pid\`): its first spawn (when and by which process: \`processes.parent_pid\`) and its last exit. */
export function refProcesses(
  events: EventRow[],
): Map<string, { spawned_at: bigint | null; exited_at: bigint | null; spawn_seq: number | null; parent: string | null }> {
  const out = new Map<string, { spawned_at: bigint | null; exited_at: bigint | null; spawn_seq: number | null; parent: string | null }>();
  const get = (k: string) => {
    let p = out.get(k);
    if (p === undefined) out.set(k, (p = { spawned_at: null, exited_at: null, spawn_seq: null, parent: null }));
    return p;
  };
  for (const e of events) {
    if (e.kind === 'drop' || e.pid === null) continue;
    const p = get(key(e.node, e.pid));
    if (e.kind === 'exit') p.exited_at = e.ts;
    if (e.kind === 'spawn' && e.peer !== null) {
      const c = get(key(e.peer_node, e.peer));
      if (c.spawned_at === null) {
        c.spawned_at = e.ts;
        c.spawn_seq = e.seq;
        c.parent = e.pid;
      }
    }
  }
  return out;
}

/**
 * A receive with no send of a message the runtime makes from a signal (docs/SCHEMA.md \`messages\`, status
 * \`signal\`): an exit (\`{:EXIT, pid_or_port, reason}\`), a monitor's \`{:DOWN, ref, :process | :port, what, reason}\`,
 * a node monitor's \`{:nodeup | :nodedown, node ...}\`, a timer's \`{:timeout, ref, msg}\`, a spawn request's
 * \`{:spawn_reply, ref, :ok, pid}\` (or \`:error\`), an ETS table's \`{:"ETS-TRANSFER", tab, pid, data}\`, the system
 * monitor's \`{:monitor, pid_or_port, :long_gc | ..., info}\`, a time offset monitor's \`{:CHANGE, ref, :time_offset,
 * :clock_service, offset}\`, a monitor tagged with an alias, \`{alias, ref, :process | :port, what, reason}\`. Returns the process or port it names (\`<0.1.0>\`, \`#Port<0.3>\`), null when it names
 * none, undefined when it is no such message.
 */
export function refSignal(term: string): string | null | undefined {
  const who = '(#PID<[0-9.]+>|#Port<[0-9.]+>)';
  const naming = [
    new RegExp(`^\\{:EXIT, ${who}, `),
    /^\{:DOWN, #Reference<[0-9.]+>, :(?:process|port), /,
    // a monitor tagged with a reference (an alias) in place of :DOWN: OTP 26+ multi_call's, OTP 27 erpc's
    /^\{#Reference<[0-9.]+>, #Reference<[0-9.]+>, :(?:process|port), /,
    new RegExp(`^\\{:spawn_reply, #Reference<[0-9.]+>, :ok, ${who}`),
    new RegExp(`^\\{:"ETS-TRANSFER", (?:#Reference<[0-9.]+>|:[^, ]+), ${who}`),
    new RegExp(`^\\{:monitor, ${who}, :(?:long_gc|long_schedule|large_heap|busy_port|busy_dist_port|long_message_queue), `),
  ];
  const bare = [
    /^\{:node(up|down), :/,
    /^\{:timeout, #Reference<[0-9.]+>, /,
    /^\{:spawn_reply, #Reference<[0-9.]+>, :error, /,
    /^\{:CHANGE, #Reference<[0-9.]+>, :time_offset, :clock_service, /,
  ];
  let named: string | null | undefined;
  for (const re of naming) {
    const m = re.exec(term);
    if (m === null) continue;
    // a :DOWN names its process after the type (a pid or port; a registered name is no process)
    named = m[1] ?? new RegExp(`^${who}`).exec(term.slice(m[0].length))?.[1] ?? null;
    break;
  }
  if (named === undefined && bare.some((re) => re.test(term))) named = null;
  return named?.startsWith('#PID') ? named.slice(4) : named;
}

/**
 * The node of a process a term names (pids print without one): for a spawn reply, first a process of that pid the
 * receiver spawned; then, of the nodes where a process of that pid exited, one where it exited at or before \`at\`,
 * else any; for an \`:EXIT\` (which \`exit/2\` sends from a live process), else the receiver's when it knows the pid;
 * within each, the receiver's node first, then in text order; null when none of these.
 */
function refNodeOf(
  procs: ReturnType<typeof refProcesses>,
  pid: string,
  how: { isExit: boolean; spawnedBy: string | null },
  receiverNode: string,
  at: bigint,
): string | null {
  const candidates: { node: string; rank: number }[] = [];
  for (const [k, p] of procs) {
    if (!k.endsWith(` ${pid}`)) continue;
    const node = k.slice(0, -pid.length - 1);
    const here = node === receiverNode ? 0 : 1;
    const spawned = how.spawnedBy !== null && p.parent === how.spawnedBy;
    if (!spawned && p.exited_at === null && !(how.isExit && node === receiverNode)) continue;
    candidates.push({ node, rank: (spawned ? 0 : 10) + (p.exited_at === null ? 4 : p.exited_at <= at ? 0 : 2) + here });
  }
  candidates.sort((a, b) => a.rank - b.rank || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return candidates[0]?.node ?? null;
}

/**
 * Messages no callback takes (docs/SCHEMA.md \`messages\`): call replies (\`{tag, reply}\`, the tag a reference or
 * \`[:alias | ref]\`, or multi_call's \`{ref, node}\`; the generator's other terms that start with a reference are tagged monitors' messages, signals taken as they come), \`{:system, ...}\`,
 * \`{:ack, ...}\`, \`{:io_reply, ...}\`, \`{:code_server, ...}\`, \`{:inet_reply, ...}\`: taken when received.
 */
export function refTakenOutsideCallbacks(term: string): boolean {
  return (
    /^\{(#Reference<[0-9.]+>|\[:alias \| #Reference<[0-9.]+>\]|\{#Reference<[0-9.]+>, :[a-z]+@[a-z]+\}), /.test(term) ||
    /^\{:(system|ack|io_reply|code_server|inet_reply), /.test(term)
  );
}

/** A signal's sender's node: a port's, an ETS table giver's and a system monitor report's are the receiver's. */
function refSignalNode(
  procs: ReturnType<typeof refProcesses>,
  named: string,
  term: string,
  receiver: { node: string; pid: string },
  at: bigint,
): string | null {
  if (named.startsWith('#Port<') || term.startsWith('{:"ETS-TRANSFER", ') || term.startsWith('{:monitor, ')) return receiver.node;
  const spawnedBy = term.startsWith('{:spawn_reply, ') ? receiver.pid : null;
  return refNodeOf(procs, named, { isExit: term.startsWith('{:EXIT, '), spawnedBy }, receiver.node, at);
}

/** A window in which the recorder dropped events of a node (docs/SCHEMA.md \`drops\`). */
export interface DropWindow {
  node: string;
  from: bigint;
  to: bigint;
}

/**
 * messages: n-th send of a term to a process with the n-th receive of it there; n-th handled receive with the n-th
 * callback that took it. A message never taken is \`in_drop\` when a window of the receiver's node overlaps
 * [arrival, receiver's exit or the end]; a receive with no send \`sender_in_drop\` when a window began before it.
 */
export function refMessages(events: EventRow[], consumed: ConsumedRow[], drops: DropWindow[] = []): RefMessage[] {
  const procs = refProcesses(events);
  const sendsTo = new Map<string, EventRow[]>();
  for (const e of events) {
    if (e.kind !== 'send') continue;
    const k = `${key(e.peer_node, e.peer)} ${e.term_id}`;
    (sendsTo.get(k) ?? sendsTo.set(k, []).get(k)!).push(e);
  }
  const taken = new Map<string, number>();
  const byRecv = new Map<number, EventRow>();
  const recvSeen = new Map<string, number>();
  for (const e of events) {
    if (e.kind !== 'receive') continue;
    const k = `${key(e.node, e.pid)} ${e.term_id}`;
    const n = recvSeen.get(k) ?? 0;
    recvSeen.set(k, n + 1);
    const s = sendsTo.get(k)?.[n];
    if (s !== undefined) {
      byRecv.set(e.seq, s);
      taken.set(`s${s.seq}`, e.seq);
    }
  }
  // consumption: per process and message text, in order
  const tracked = new Set(consumed.map((c) => key(c.node, c.pid)));
  const cons = new Map<string, ConsumedRow[]>();
  for (const c of consumed) {
    const k = `${key(c.node, c.pid)} ${c.msg}`;
    (cons.get(k) ?? cons.set(k, []).get(k)!).push(c);
  }
  // a gen_event manager (it ran a handler's handle_event/2): no callback takes its messages one by one
  const managers = new Set(events.filter((e) => e.kind === 'call' && (e.mfa ?? '').endsWith('.handle_event/2')).map((e) => key(e.node, e.pid)));
  const handledSeen = new Map<string, number>();
  const consumedOf = new Map<number, ConsumedRow | null>();
  for (const e of events) {
    if (e.kind !== 'receive' || e.term === ':timeout' || refTakenOutsideCallbacks(e.term ?? '') || managers.has(key(e.node, e.pid))) continue;
    const k = `${key(e.node, e.pid)} ${e.term}`;
    const n = handledSeen.get(k) ?? 0;
    handledSeen.set(k, n + 1);
    consumedOf.set(e.seq, cons.get(k)?.[n] ?? null);
  }
  // per process, its latest receive a callback took: one no callback took before it was taken inside a callback (the
  // main loop takes the mailbox in order), as it came
  const lastTaken = new Map<string, number>();
  for (const e of events) if (e.kind === 'receive' && (consumedOf.get(e.seq) ?? null) !== null) lastTaken.set(key(e.node, e.pid), e.seq);
  const tsOf = new Map(events.map((e) => [e.seq, e.ts]));
  const receivers = new Set(events.filter((e) => e.kind === 'receive').map((e) => key(e.node, e.pid)));
  // each node's first and last event of a process, a state aside: when its tracing ran
  const traced = events.filter((e) => e.pid !== null && e.kind !== 'state');
  const windows = new Map<string, { first: bigint; last: bigint }>();
  for (const e of traced) {
    const w = windows.get(e.node);
    if (w === undefined) windows.set(e.node, { first: e.ts, last: e.ts });
    else {
      if (e.ts < w.first) w.first = e.ts;
      if (e.ts > w.last) w.last = e.ts;
    }
  }
  const window = (node: string) => windows.get(node) ?? null;
  // per process, its last callback's return when it went back to the main loop (not a stop), no callback was called
  // after it and its node traced a call later: the loop takes the mailbox's head at once, and a callback that took it
  // would be traced, so the mailbox was empty then (what a callback's own receive took before it had left)
  const callback = (e: EventRow) => /\.(init|handle_call|handle_cast|handle_info|handle_continue|handle_event)\/[0-9]+$/.test(e.mfa ?? '');
  // a gen_statem state function's call, whatever event it ran (an internal or queued one took no message)
  const statemCall = (e: EventRow) =>
    (e.mfa ?? '').endsWith('/3') && /^\[(:(cast|info|internal|enter|timeout|state_timeout), |\{:(call|timeout), )/.test(e.term ?? '');
  const consumedSeqs = new Set(consumed.map((c) => c.seq));
  const lastCallTs = new Map<string, bigint>();
  const lastRet = new Map<string, EventRow>();
  const lastCallback = new Map<string, number>();
  for (const e of events) {
    if (e.kind === 'call' && e.pid !== null) {
      if (e.ts > (lastCallTs.get(e.node) ?? -1n)) lastCallTs.set(e.node, e.ts);
      if (callback(e) || consumedSeqs.has(e.seq) || statemCall(e)) lastCallback.set(key(e.node, e.pid), e.seq);
    }
    if (e.kind === 'return' && callback(e)) lastRet.set(key(e.node, e.pid), e);
  }
  const lastBack = new Map<string, number>();
  for (const [k, e] of lastRet)
    if ((lastCallback.get(k) ?? -1) < e.seq && !/^\{:stop(_and_reply)?, /.test(e.term ?? '') && e.ts < (lastCallTs.get(e.node) ?? -1n)) lastBack.set(k, e.seq);
  const out: RefMessage[] = [];
  const finish = (send: EventRow | null, recv: EventRow | null, toNode: string, toPid: string, dead: boolean) => {
    const c = recv === null ? null : (consumedOf.get(recv.seq) ?? null);
    const k = key(toNode, toPid);
    let takenAt: bigint | null = null;
    if (recv !== null) {
      if (c !== null) takenAt = tsOf.get(c.seq)!;
      else if (consumedOf.has(recv.seq) && tracked.has(k)) takenAt = (lastTaken.get(k) ?? -1) > recv.seq || (lastBack.get(k) ?? -1) > recv.seq ? recv.ts : null;
      else takenAt = recv.ts;
    }
    const p = procs.get(k);
    let status: string;
    if (dead) status = 'send_to_dead';
    else if (send === null) status = recv!.term === ':timeout' ? 'after_timeout' : refSignal(recv!.term ?? '') !== undefined ? 'signal' : 'sender_not_traced';
    else if (takenAt !== null) status = 'received';
    else if (p?.exited_at != null) status = 'receiver_exited';
    else if (receivers.has(k) || tracked.has(k)) {
      const w = window(toNode);
      status = w !== null && (send.ts < w.first || send.ts > w.last) ? 'receiver_not_traced' : 'queued_at_end';
    } else status = 'receiver_not_traced';
    // a signal no callback took left the mailbox as it came
    if (status === 'signal' && takenAt === null) takenAt = recv!.ts;
    if (status === 'queued_at_end' || status === 'receiver_exited') {
      const arrived = recv?.ts ?? send!.ts;
      const exited = p?.exited_at ?? null;
      if (drops.some((d) => d.node === toNode && d.to >= arrived && (exited === null || d.from <= exited))) status = 'in_drop';
    } else if (status === 'sender_not_traced' && drops.some((d) => d.from <= recv!.ts)) status = 'sender_in_drop';
    const named = status === 'signal' ? refSignal(recv!.term!) : null;
    out.push({
      send_seq: send?.seq ?? null,
      recv_seq: recv?.seq ?? null,
      to_node: toNode,
      to_pid: toPid,
      from_pid: named ?? null,
      from_node: !named ? null : refSignalNode(procs, named, recv!.term!, { node: toNode, pid: toPid }, recv!.ts),
      sent_at: send?.ts ?? null,
      received_at: recv?.ts ?? null,
      status,
      consumed_seq: c?.seq ?? null,
      taken_at: takenAt,
    });
  };
  for (const e of events) {
    if (e.kind === 'send_to_dead') finish(e, null, e.peer_node!, e.peer!, true);
    else if (e.kind === 'send' && !taken.has(`s${e.seq}`)) finish(e, null, e.peer_node!, e.peer!, false);
    else if (e.kind === 'receive') finish(byRecv.get(e.seq) ?? null, e, e.node, e.pid!, false);
  }
  return out;
}

/** Processes alive at t: spawned at or before t (or never seen spawning) and not exited by t. */
export function refAliveAt(events: EventRow[], t: bigint): string[] {
  const out: string[] = [];
  for (const [k, p] of refProcesses(events)) {
    if ((p.spawned_at === null || p.spawned_at <= t) && (p.exited_at === null || p.exited_at > t)) out.push(k);
  }
  return out.sort();
}

/** Messages in each mailbox at t: entered (sent, or received when unsent) by t, not taken by t, receiver not exited by t. */
export function refMailboxAt(events: EventRow[], msgs: RefMessage[], t: bigint): string[] {
  const procs = refProcesses(events);
  const out: string[] = [];
  for (const m of msgs) {
    if (!['received', 'queued_at_end', 'receiver_exited', 'sender_not_traced', 'sender_in_drop', 'signal'].includes(m.status)) continue;
    const enter = m.sent_at ?? m.received_at!;
    if (enter > t) continue;
    if (m.taken_at !== null && m.taken_at <= t) continue;
    const ex = procs.get(key(m.to_node, m.to_pid))?.exited_at;
    if (ex != null && ex <= t) continue;
    out.push(`${key(m.to_node, m.to_pid)} ${m.send_seq ?? 'r' + m.recv_seq}`);
  }
  return out.sort();
}

/** State at t per process: the last state row at or before t, unless the process exited by t. */
export function refStateAt(events: EventRow[], states: { seq: number; ts: bigint; node: string; pid: string }[], t: bigint): string[] {
  const procs = refProcesses(events);
  const last = new Map<string, number>();
  for (const s of [...states].sort((a, b) => a.seq - b.seq)) if (s.ts <= t) last.set(key(s.node, s.pid), s.seq);
  const out: string[] = [];
  for (const [k, seq] of last) {
    const ex = procs.get(k)?.exited_at;
    if (ex != null && ex <= t) continue;
    out.push(`${k} ${seq}`);
  }
  return out.sort();
}

/** The immediate cause of each event (docs/SCHEMA.md "causal_links"). */
export function refCauseOf(events: EventRow[], msgs: RefMessage[]): Map<number, { cause: number; edge: string }> {
  const procs = refProcesses(events);
  const sendOfRecv = new Map<number, number>();
  for (const m of msgs) if (m.recv_seq !== null && m.send_seq !== null) sendOfRecv.set(m.recv_seq, m.send_seq);
  const lastRecv = new Map<string, number>();
  const out = new Map<number, { cause: number; edge: string }>();
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    if (e.pid === null || e.kind === 'drop') continue;
    const k = key(e.node, e.pid);
    if (e.kind === 'receive') {
      const s = sendOfRecv.get(e.seq);
      if (s !== undefined) out.set(e.seq, { cause: s, edge: 'message' });
      if (s !== undefined || e.term !== ':timeout') lastRecv.set(k, e.seq);
      continue;
    }
    const r = lastRecv.get(k);
    if (r !== undefined) out.set(e.seq, { cause: r, edge: 'process' });
    else {
      const sp = procs.get(k)?.spawn_seq;
      if (sp != null && sp < e.seq) out.set(e.seq, { cause: sp, edge: 'spawn' });
    }
  }
  return out;
}

/** causes(seq, depth): follow immediate causes; depth counts message and spawn links. */
export function refCauses(causeOf: Map<number, { cause: number; edge: string }>, seq: number, maxDepth: number): number[] {
  const out = [seq];
  let hop = 0;
  let cur = seq;
  for (let step = 0; step < 2 * maxDepth + 1; step++) {
    const c = causeOf.get(cur);
    if (c === undefined) break;
    const h = hop + (c.edge === 'process' ? 0 : 1);
    if (h > maxDepth) break;
    hop = h;
    cur = c.cause;
    out.push(cur);
  }
  return out;
}

/** effects(seq, depth): every event whose cause chain reaches seq within the limits. */
export function refEffects(causeOf: Map<number, { cause: number; edge: string }>, seq: number, maxDepth: number): number[] {
  const children = new Map<number, { seq: number; edge: string }[]>();
  for (const [s, c] of causeOf) (children.get(c.cause) ?? children.set(c.cause, []).get(c.cause)!).push({ seq: s, edge: c.edge });
  const out: number[] = [];
  const walk = (s: number, hop: number, step: number) => {
    out.push(s);
    if (step >= 2 * maxDepth + 1) return;
    for (const c of children.get(s) ?? []) {
      const h = hop + (c.edge === 'process' ? 0 : 1);
      if (h <= maxDepth) walk(c.seq, h, step + 1);
    }
  };
  walk(seq, 0, 0);
  return out.sort((a, b) => a - b);
}

export interface RefSpan {
  call_seq: number;
  end_seq: number | null;
  depth: number;
  self_ns: bigint | null;
  parent_seq: number | null;
}

/** spans: a stack per process; a return or exception closes the top call when it names the same function. */
export function refSpans(events: EventRow[]): RefSpan[] {
  const stacks = new Map<string, { e: EventRow; span: RefSpan; child: bigint }[]>();
  const out: RefSpan[] = [];
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    if (e.kind !== 'call' && e.kind !== 'return' && e.kind !== 'exception') continue;
    const k = key(e.node, e.pid);
    let st = stacks.get(k);
    if (st === undefined) stacks.set(k, (st = []));
    if (e.kind === 'call') {
      const parent = st.length > 0 ? st[st.length - 1].span.call_seq : null;
      const span: RefSpan = { call_seq: e.seq, end_seq: null, depth: st.length, self_ns: null, parent_seq: parent };
      st.push({ e, span, child: 0n });
      out.push(span);
    } else {
      const top = st.pop();
      if (top === undefined || top.e.mfa !== e.mfa) throw new Error('refSpans: generated traces nest properly');
      top.span.end_seq = e.seq;
      const d = e.ts - top.e.ts;
      top.span.self_ns = d - top.child;
      if (st.length > 0) st[st.length - 1].child += d;
    }
  }
  return out.sort((a, b) => a.call_seq - b.call_seq);
}

export interface RefCall {
  call_seq: number;
  caller_pid: string;
  callee_pid: string | null;
  outcome: string;
  latency_ns: bigint | null;
  reply_seq: number | null;
  request_recv_seq: number | null;
  reply_recv_seq: number | null;
}

/**
 * A gen:call request (docs/SCHEMA.md \`calls\`): \`{label, {from, tag}, request}\` with the label \`:"$gen_call"\`,
 * \`:system\`, or the caller's own pid (gen_event); the caller's pid and the tag, else null. Plain reference tags, and
 * multi_call's \`{ref, node}\` (OTP 25) only (the references resolve no aliases).
 */
function refRequest(term: string): { from: string; tag: string } | null {
  const m = /^\{(:"\$gen_call"|:system|#PID<[0-9.]+>), \{#PID<([0-9.]+)>, (#Reference<[0-9.]+>|\{#Reference<[0-9.]+>, :[a-z]+@[a-z]+\})\}, /.exec(term);
  if (m === null || (m[1].startsWith('#PID<') && m[1] !== `#PID<${m[2]}>`)) return null;
  return { from: `<${m[2]}>`, tag: m[3] };
}

/** A caller's exit reason that only an exit signal gives a process blocked in a call: not its own after giving up. */
const killedWaiting = (reason: string) =>
  reason !== ':normal' &&
  !reason.includes('timeout') &&
  !/^\{#Reference<[0-9.]+>, :return, /.test(reason) &&
  !/^\{#PID<[0-9.]+>, #Reference<[0-9.]+>, \{\[/.test(reason);

/**
 * calls: per tag, the first request seen (its send, else its receive) and the first reply (\`{tag, reply}\`) sent and
 * received; the outcome and latency as docs/SCHEMA.md defines them. \`msgs\` gives the callers' \`after_timeout\`
 * receives (their \`receive ... after\` timing out), \`exitReasons\` each process's exit reason.
 */
export function refCalls(events: EventRow[], msgs: RefMessage[], drops: DropWindow[] = []): RefCall[] {
  const procs = refProcesses(events);
  const reasons = new Map<string, string>();
  for (const e of events) if (e.kind === 'exit' && e.pid !== null) reasons.set(key(e.node, e.pid), e.term ?? '');
  const nodeOfPid = new Map<string, string>();
  for (const e of events) if (e.pid !== null && e.kind !== 'drop') nodeOfPid.set(e.pid, e.node);
  interface Acc {
    req?: EventRow;
    reqRecv?: EventRow;
    caller: string;
    reply?: EventRow;
    replyRecv?: EventRow;
  }
  const byTag = new Map<string, Acc>();
  const messages = events.filter((e) => e.term !== null && ['send', 'send_to_dead', 'receive'].includes(e.kind));
  for (const e of messages) {
    const r = refRequest(e.term!);
    if (r === null) continue;
    const a = byTag.get(r.tag) ?? byTag.set(r.tag, { caller: r.from }).get(r.tag)!;
    if (e.kind === 'receive') a.reqRecv ??= e;
    else a.req ??= e;
  }
  for (const e of messages) {
    const rep = /^\{(#Reference<[0-9.]+>|\{#Reference<[0-9.]+>, :[a-z]+@[a-z]+\}), /.exec(e.term!);
    const a = rep === null ? undefined : byTag.get(rep[1]);
    if (a === undefined) continue;
    if (e.kind === 'receive') a.replyRecv ??= e;
    else a.reply ??= e;
  }
  const receivers = new Set(events.filter((e) => e.kind === 'receive').map((e) => key(e.node, e.pid)));
  const gaveUp = new Set(msgs.filter((m) => m.status === 'after_timeout').map((m) => m.recv_seq!));
  const WENT_ON = ['send', 'send_to_dead', 'call', 'return', 'exception', 'spawn', 'link', 'register'];
  // each node's last event of a process, a state aside: when its recording ended
  const lastOf = new Map<string, bigint>();
  for (const e of events) if (e.pid !== null && e.kind !== 'state' && e.ts > (lastOf.get(e.node) ?? -1n)) lastOf.set(e.node, e.ts);
  const out: RefCall[] = [];
  for (const a of byTag.values()) {
    const first = a.req ?? a.reqRecv;
    if (first === undefined) continue;
    const callerNode = a.req?.node ?? nodeOfPid.get(a.caller) ?? first.node;
    const caller = key(callerNode, a.caller);
    const callee = a.reqRecv !== undefined ? key(a.reqRecv.node, a.reqRecv.pid) : key(a.req!.peer_node, a.req!.peer);
    const calleeNode = a.reqRecv?.node ?? a.req!.peer_node!;
    const sentAt = first.ts;
    const callerTraced = receivers.has(caller);
    const calleeExit = procs.get(callee)?.exited_at ?? null;
    const callerExit = procs.get(caller)?.exited_at ?? null;
    // a caller gone before the reply was sent never got it (killed while it waited), its receives traced or not
    const goneFirst = a.reply !== undefined && callerExit !== null && callerExit <= a.reply.ts;
    let wentOn: bigint | null = null;
    if (a.replyRecv === undefined && (a.reply === undefined || callerTraced || goneFirst)) {
      const w = events.find(
        (e) => e.seq > first.seq && key(e.node, e.pid) === caller && (WENT_ON.includes(e.kind) || (e.kind === 'receive' && gaveUp.has(e.seq))),
      );
      wentOn = w?.ts ?? null;
    }
    const until = wentOn ?? callerExit;
    let outcome: string;
    if (a.replyRecv !== undefined || (a.reply !== undefined && !callerTraced && !goneFirst)) outcome = 'reply';
    // a reply sent after the caller's node stopped recording, the caller still waiting then: answered as far as we know
    else if (a.reply !== undefined && a.reply.ts > (lastOf.get(callerNode) ?? a.reply.ts) && wentOn === null && callerExit === null) outcome = 'reply';
    else if (drops.some((d) => (d.node === callerNode || d.node === calleeNode) && d.to >= sentAt && (until === null || d.from <= until))) outcome = 'in_drop';
    // (not once the caller had given up: a callee exiting after that did not end the call)
    else if (a.reply === undefined && calleeExit !== null && calleeExit >= sentAt && (wentOn === null || calleeExit <= wentOn)) outcome = 'callee_exit';
    else if (goneFirst && wentOn === null && killedWaiting(reasons.get(caller) ?? ':normal')) outcome = 'caller_exit';
    else if (a.reply !== undefined || wentOn !== null || (reasons.get(caller) ?? '').includes('timeout')) outcome = 'timeout';
    else if (callerExit !== null) outcome = 'caller_exit';
    else outcome = 'pending';
    const end =
      outcome === 'reply'
        ? (a.replyRecv ?? a.reply)!.ts
        : outcome === 'callee_exit'
          ? calleeExit
          : outcome === 'timeout'
            ? until
            : outcome === 'caller_exit'
              ? callerExit
              : null;
    out.push({
      call_seq: first.seq,
      caller_pid: a.caller,
      callee_pid: callee.slice(callee.indexOf(' ') + 1),
      outcome,
      latency_ns: end === null ? null : end - sentAt,
      reply_seq: a.reply?.seq ?? null,
      request_recv_seq: a.reqRecv?.seq ?? null,
      reply_recv_seq: a.replyRecv?.seq ?? null,
    });
  }
  return out.sort((x, y) => x.call_seq - y.call_seq);
}
