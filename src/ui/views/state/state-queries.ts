import type { ProcessRef, Session } from '../../lib/session.svelte';
import { big, num, records, sqlInt, sqlString, str } from '../../lib/sql';
import { has } from '../../lib/capabilities';

export interface StateRow {
  ts: bigint;
  seq: number;
  callback: string | null;
  message: string | null;
  /** What the state followed from (`states.origin`): initial, read_at_start, message, continue, timeout, internal, code_change. */
  origin: string | null;
  state: string;
  prevState: string | null;
  index: number;
  total: number;
}

export interface Nav {
  prev: { ts: bigint; seq: number } | null;
  next: { ts: bigint; seq: number } | null;
}

const where = (p: ProcessRef) => `node = ${sqlString(p.node)} AND pid = ${sqlString(p.pid)}`;

/** The state of `p` at instant `t` (after the last callback that returned at or before `t`), with the one before it. */
export async function stateAt(session: Session, p: ProcessRef, t: bigint): Promise<StateRow | null> {
  const r = await session.query(
    `WITH s AS (SELECT ts, seq, callback, message, origin, state, lag(state) OVER (ORDER BY seq) AS prev_state, row_number() OVER (ORDER BY seq) AS idx,
                       count(*) OVER () AS total
                FROM states WHERE ${where(p)})
     SELECT * FROM s WHERE ts <= ${sqlInt(t)} ORDER BY seq DESC LIMIT 1`,
    'state-at',
  );
  const row = records(r)[0];
  if (!row) return null;
  return {
    ts: big(row.ts)!,
    seq: num(row.seq)!,
    callback: str(row.callback),
    message: str(row.message),
    origin: str(row.origin),
    state: str(row.state) ?? '',
    prevState: str(row.prev_state),
    index: num(row.idx) ?? 0,
    total: num(row.total) ?? 0,
  };
}

/** The previous and next changes of `p`'s state around `t` (callbacks that left the state as it was are skipped). */
export async function changesAround(session: Session, p: ProcessRef, t: bigint): Promise<Nav & { count: number }> {
  const r = await session.query(
    `WITH s AS (SELECT ts, seq, state, lag(state) OVER (ORDER BY seq) AS prev_state FROM states WHERE ${where(p)}),
          c AS (SELECT ts, seq FROM s WHERE prev_state IS DISTINCT FROM state),
          here AS (SELECT max(seq) AS seq FROM c WHERE ts <= ${sqlInt(t)})
     SELECT (SELECT max_by(ts, seq) FROM c WHERE seq < (SELECT seq FROM here)) AS prev_ts,
            (SELECT max(seq) FROM c WHERE seq < (SELECT seq FROM here)) AS prev_seq,
            (SELECT min_by(ts, seq) FROM c WHERE ts > ${sqlInt(t)}) AS next_ts,
            (SELECT min(seq) FROM c WHERE ts > ${sqlInt(t)}) AS next_seq,
            (SELECT count(*) FROM c) AS n`,
    'state-nav',
  );
  const row = records(r)[0];
  const pt = big(row.prev_ts);
  const nt = big(row.next_ts);
  return {
    prev: pt !== null ? { ts: pt, seq: num(row.prev_seq)! } : null,
    next: nt !== null ? { ts: nt, seq: num(row.next_seq)! } : null,
    count: num(row.n) ?? 0,
  };
}

export interface QueuedMessage {
  sendSeq: number | null;
  from: ProcessRef | null;
  sentAt: bigint;
  msg: string;
}

/** Messages sent to `p` at or before `t` and not yet taken at `t`: the engine's `mailbox_at(t)` when it exists, else from `messages`. */
export async function mailboxAt(session: Session, p: ProcessRef, t: bigint): Promise<QueuedMessage[]> {
  const r = (await has(session, 'mailbox_at'))
    ? await session.query(
        `SELECT send_seq, from_node, from_pid, sent_at, msg FROM mailbox_at(${sqlInt(t)})
         WHERE node = ${sqlString(p.node)} AND pid = ${sqlString(p.pid)} ORDER BY position LIMIT 500`,
        'mailbox-at',
      )
    : await session.query(
        `SELECT send_seq, from_node, from_pid, sent_at, msg FROM messages
     WHERE to_node = ${sqlString(p.node)} AND to_pid = ${sqlString(p.pid)} AND sent_at <= ${sqlInt(t)} AND (received_at IS NULL OR received_at > ${sqlInt(t)})
       AND send_seq IS NOT NULL
     ORDER BY sent_at, send_seq LIMIT 500`,
        'mailbox-at',
      );
  return records(r).map((row) => ({
    sendSeq: num(row.send_seq),
    from: row.from_pid ? { node: String(row.from_node ?? p.node), pid: String(row.from_pid) } : null,
    sentAt: big(row.sent_at) ?? t,
    msg: str(row.msg) ?? '',
  }));
}

export interface InFlightCall {
  callSeq: number;
  caller: ProcessRef;
  callee: ProcessRef;
  request: string;
  sentAt: bigint;
  repliedAt: bigint | null;
  outcome: string;
}

/** Calls made or served by `p` that are in flight at `t`. */
export async function callsInFlight(session: Session, p: ProcessRef, t: bigint): Promise<InFlightCall[]> {
  const n = sqlString(p.node);
  const pid = sqlString(p.pid);
  const r = await session.query(
    `SELECT call_seq, caller_node, caller_pid, callee_node, callee_pid, request, sent_at, replied_at, outcome FROM calls
     WHERE ((caller_node = ${n} AND caller_pid = ${pid}) OR (callee_node = ${n} AND callee_pid = ${pid}))
       AND sent_at <= ${sqlInt(t)} AND (replied_at IS NULL OR replied_at > ${sqlInt(t)})
     ORDER BY sent_at LIMIT 50`,
    'calls-in-flight',
  );
  return records(r).map((row) => ({
    callSeq: num(row.call_seq)!,
    caller: { node: String(row.caller_node ?? p.node), pid: String(row.caller_pid) },
    callee: { node: String(row.callee_node ?? p.node), pid: String(row.callee_pid) },
    request: str(row.request) ?? '',
    sentAt: big(row.sent_at)!,
    repliedAt: big(row.replied_at),
    outcome: str(row.outcome) ?? '',
  }));
}

export interface StoredChange {
  label: string;
  change: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
}

/** The engine's `state_changes` rows for the state produced by event `seq` (exact, computed from the terms at ingest); null when the table does not exist. */
export async function storedChanges(session: Session, p: ProcessRef, seq: number): Promise<StoredChange[] | null> {
  if (!(await has(session, 'state_changes'))) return null;
  const r = await session.query(
    `SELECT path, change, before, after FROM state_changes WHERE ${where(p)} AND seq = ${sqlInt(seq)} ORDER BY path LIMIT 500`,
    'state-changes',
  );
  return records(r).map((row) => ({
    label: str(row.path) ?? '',
    change: (str(row.change) ?? 'changed') as StoredChange['change'],
    before: str(row.before) ?? undefined,
    after: str(row.after) ?? undefined,
  }));
}
