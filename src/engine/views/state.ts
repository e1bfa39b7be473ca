import { readOne, readRows, sqlInt, sqlString, type Sql } from './rows';

/** A process is named by its node and canonical pid text (docs/SCHEMA.md). */
export interface ProcessRef {
  node: string;
  pid: string;
}

export interface StateRow {
  ts: bigint;
  seq: number;
  callback: string | null;
  message: string | null;
  /** What the state followed from (`states.origin`): initial, read_at_start, sampled, message, continue, timeout, internal, postponed, enter, code_change, replaced. */
  origin: string | null;
  state: string;
  prevState: string | null;
  /** 1-based position among the process's states, and how many it has. */
  index: number;
  total: number;
}

export interface Nav {
  prev: { ts: bigint; seq: number } | null;
  next: { ts: bigint; seq: number } | null;
}

const where = (p: ProcessRef) => `node = ${sqlString(p.node)} AND pid = ${sqlString(p.pid)}`;

/** The state of `p` at instant `t` (after the last callback that returned at or before `t`), with the one before it. */
export async function stateAt(sql: Sql, p: ProcessRef, t: bigint): Promise<StateRow | null> {
  const [row] = readRows(
    'state at',
    await sql(
      `WITH s AS (SELECT ts, seq, callback, message, origin, state, lag(state) OVER (ORDER BY seq) AS prev_state, row_number() OVER (ORDER BY seq) AS idx,
                         count(*) OVER () AS total
                  FROM states WHERE ${where(p)})
       SELECT * FROM s WHERE ts <= ${sqlInt(t)} ORDER BY seq DESC LIMIT 1`,
    ),
    { ts: 'big', seq: 'int', callback: 'text?', message: 'text?', origin: 'text?', state: 'text?', prev_state: 'text?', idx: 'int', total: 'int' },
  );
  if (!row) return null;
  return {
    ts: row.ts,
    seq: row.seq,
    callback: row.callback,
    message: row.message,
    origin: row.origin,
    state: row.state ?? '',
    prevState: row.prev_state,
    index: row.idx,
    total: row.total,
  };
}

/** The previous and next changes of `p`'s state around `t` (callbacks that left the state as it was are skipped). */
export async function stateChangesAround(sql: Sql, p: ProcessRef, t: bigint): Promise<Nav & { count: number }> {
  const row = readOne(
    'state changes around',
    await sql(
      `WITH s AS (SELECT ts, seq, state, lag(state) OVER (ORDER BY seq) AS prev_state FROM states WHERE ${where(p)}),
            c AS (SELECT ts, seq FROM s WHERE prev_state IS DISTINCT FROM state),
            here AS (SELECT max(seq) AS seq FROM c WHERE ts <= ${sqlInt(t)})
       SELECT (SELECT max_by(ts, seq) FROM c WHERE seq < (SELECT seq FROM here)) AS prev_ts,
              (SELECT max(seq) FROM c WHERE seq < (SELECT seq FROM here)) AS prev_seq,
              (SELECT min_by(ts, seq) FROM c WHERE ts > ${sqlInt(t)}) AS next_ts,
              (SELECT min(seq) FROM c WHERE ts > ${sqlInt(t)}) AS next_seq,
              (SELECT count(*) FROM c) AS n`,
    ),
    { prev_ts: 'big?', prev_seq: 'int?', next_ts: 'big?', next_seq: 'int?', n: 'int' },
  );
  return {
    prev: row.prev_ts !== null && row.prev_seq !== null ? { ts: row.prev_ts, seq: row.prev_seq } : null,
    next: row.next_ts !== null && row.next_seq !== null ? { ts: row.next_ts, seq: row.next_seq } : null,
    count: row.n,
  };
}

export interface QueuedMessage {
  sendSeq: number | null;
  from: ProcessRef | null;
  sentAt: bigint;
  msg: string;
}

/** Messages sent to `p` at or before `t` and not yet taken at `t`, oldest first (the engine's `mailbox_at(t)`). */
export async function mailboxAt(sql: Sql, p: ProcessRef, t: bigint, limit = 500): Promise<QueuedMessage[]> {
  const rows = readRows(
    'mailbox at',
    await sql(
      `SELECT send_seq, from_node, from_pid, sent_at, msg FROM mailbox_at(${sqlInt(t)})
       WHERE node = ${sqlString(p.node)} AND pid = ${sqlString(p.pid)} ORDER BY position LIMIT ${Math.trunc(limit)}`,
    ),
    { send_seq: 'int?', from_node: 'text?', from_pid: 'text?', sent_at: 'big?', msg: 'text?' },
  );
  return rows.map((row) => ({
    sendSeq: row.send_seq,
    from: row.from_pid ? { node: row.from_node ?? p.node, pid: row.from_pid } : null,
    sentAt: row.sent_at ?? t,
    msg: row.msg ?? '',
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
export async function callsInFlight(sql: Sql, p: ProcessRef, t: bigint): Promise<InFlightCall[]> {
  const n = sqlString(p.node);
  const pid = sqlString(p.pid);
  const rows = readRows(
    'calls in flight',
    await sql(
      `SELECT call_seq, caller_node, caller_pid, callee_node, callee_pid, request, sent_at, replied_at, outcome FROM calls
       WHERE ((caller_node = ${n} AND caller_pid = ${pid}) OR (callee_node = ${n} AND callee_pid = ${pid}))
         AND sent_at <= ${sqlInt(t)} AND (replied_at IS NULL OR replied_at > ${sqlInt(t)})
       ORDER BY sent_at LIMIT 50`,
    ),
    {
      call_seq: 'int',
      caller_node: 'text?',
      caller_pid: 'text',
      callee_node: 'text?',
      callee_pid: 'text?',
      request: 'text?',
      sent_at: 'big',
      replied_at: 'big?',
      outcome: 'text?',
    },
  );
  return rows.map((row) => ({
    callSeq: row.call_seq,
    caller: { node: row.caller_node ?? p.node, pid: row.caller_pid },
    callee: { node: row.callee_node ?? p.node, pid: row.callee_pid ?? '?' },
    request: row.request ?? '',
    sentAt: row.sent_at,
    repliedAt: row.replied_at,
    outcome: row.outcome ?? '',
  }));
}

export interface StoredChange {
  label: string;
  change: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
}

/** The engine's `state_changes` rows for the state produced by event `seq` (computed exactly from the terms at ingest). */
export async function stateChanges(sql: Sql, p: ProcessRef, seq: number): Promise<StoredChange[]> {
  const rows = readRows(
    'state changes',
    await sql(`SELECT path, change, before, after FROM state_changes WHERE ${where(p)} AND seq = ${sqlInt(seq)} ORDER BY path LIMIT 500`),
    { path: 'text?', change: 'text', before: 'text?', after: 'text?' },
  );
  return rows.map((row) => ({
    label: row.path ?? '',
    change: (['added', 'removed', 'changed'].includes(row.change) ? row.change : 'changed') as StoredChange['change'],
    before: row.before ?? undefined,
    after: row.after ?? undefined,
  }));
}
