import { CRASHED } from '../sql/anomalies';
import { readOne, readRows, sqlInt, type RowOf, type Sql } from './rows';

const PROCESS = {
  node: 'text',
  pid: 'text',
  name: 'text?',
  initial_call: 'text?',
  module: 'text?',
  parent_pid: 'text?',
  spawned_at: 'big?',
  exited_at: 'big?',
  exit_reason: 'text?',
  events: 'int',
  application: 'text?',
  child_id: 'text?',
  child_type: 'text?',
} as const;
export type ProcessRow = RowOf<typeof PROCESS>;

/** Every known process with its event count, by node then by pid number (docs/SCHEMA.md `processes`). */
export async function processList(sql: Sql): Promise<ProcessRow[]> {
  return readRows(
    'processes',
    await sql(
      `SELECT p.node, p.pid, p.name, p.initial_call, p.module, p.parent_pid, p.spawned_at, p.exited_at, p.exit_reason, coalesce(e.n, 0) AS events,
              p.application, p.child_id, p.child_type
       FROM processes p LEFT JOIN (SELECT node, pid, count(*) AS n FROM events WHERE pid IS NOT NULL GROUP BY ALL) e USING (node, pid)
       ORDER BY p.node, try_cast(split_part(trim(p.pid, '<>'), '.', 2) AS BIGINT), p.pid`,
      1_000_000,
    ),
    PROCESS,
  );
}

/**
 * The processes killed by the process stopping them (STOPPED_BY_STOPPER: a supervisor's `:brutal_kill` or a child past
 * its `shutdown` time, a task its owner killed): exited `:killed`, yet no crash at error level (CRASHED). The process
 * tree draws their exit as a stop, not a crash. Apart from processList, which the first view carries: this reads
 * `messages`.
 */
export async function stoppedProcesses(sql: Sql): Promise<{ node: string; pid: string }[]> {
  return readRows(
    'stopped processes',
    await sql(
      `SELECT p.node, p.pid FROM processes p WHERE p.exit_reason = ':killed' AND NOT ${CRASHED('p.exit_reason', 'p.node', 'p.pid')} ORDER BY p.node, p.pid`,
      1_000_000,
    ),
    { node: 'text', pid: 'text' },
  );
}

/** The whole trace's span: first and last event time (null when nothing is loaded). */
export async function traceSpan(sql: Sql): Promise<{ start: bigint; end: bigint } | null> {
  const r = readOne('span', await sql('SELECT min(ts) AS t0, max(ts) AS t1 FROM events'), { t0: 'big?', t1: 'big?' });
  return r.t0 === null || r.t1 === null ? null : { start: r.t0, end: r.t1 };
}

const EVENT_DETAIL = {
  seq: 'int',
  ts: 'big',
  node: 'text',
  pid: 'text?',
  kind: 'text',
  peer: 'text?',
  mfa: 'text?',
  term: 'text?',
  recv_seq: 'int?',
  received_at: 'big?',
  status: 'text?',
  from_send: 'int?',
  from_pid: 'text?',
  from_node: 'text?',
  /** For a receive, its message's status (`signal`: no send, the runtime made it; `from_pid` is where it came from). */
  recv_status: 'text?',
} as const;
export type EventDetail = RowOf<typeof EVENT_DETAIL>;

/** One event with where its message went (for a send) or came from (for a receive). */
export async function eventDetail(sql: Sql, seq: number): Promise<EventDetail | null> {
  const r = await sql(
    `SELECT e.seq, e.ts, e.node, e.pid, e.kind, e.peer, e.mfa, e.term, m.recv_seq, m.received_at, m.status, m2.send_seq AS from_send, m2.from_pid, m2.from_node, m2.status AS recv_status
     FROM events e
     LEFT JOIN messages m ON m.send_seq = e.seq
     LEFT JOIN messages m2 ON m2.recv_seq = e.seq
     WHERE e.seq = ${sqlInt(seq)} LIMIT 1`,
  );
  const [row] = readRows('event detail', r, EVENT_DETAIL);
  return row ?? null;
}

/** Where an event is: its time, node and process (to jump to it by seq). */
export async function eventPlace(sql: Sql, seq: number): Promise<{ seq: number; ts: bigint; node: string; pid: string | null } | null> {
  const [row] = readRows('event place', await sql(`SELECT seq, ts, node, pid FROM events WHERE seq = ${sqlInt(seq)}`), {
    seq: 'int',
    ts: 'big',
    node: 'text',
    pid: 'text?',
  });
  return row ?? null;
}
