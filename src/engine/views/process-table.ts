import { CRASHED } from '../sql/anomalies';
/**
 * The process table (observer's process list, over the whole recording):
 * one row per known process with what it did. Counts come from the engine's
 * tables (docs/SCHEMA.md): events per process, messages it sent and
 * received (`messages`), its mailbox's peak (`mailbox_depth`), the states its
 * callbacks produced that differed from the one before (`state_changes`), and
 * its lifetime inside the recording (spawn or trace start, to exit or trace
 * end).
 */
import { readRows, type RowOf, type Sql } from './rows';

const ROW = {
  node: 'text',
  pid: 'text',
  name: 'text?',
  initial_call: 'text?',
  module: 'text?',
  application: 'text?',
  events: 'int',
  messages_in: 'int',
  messages_out: 'int',
  mailbox_peak: 'int',
  state_changes: 'int',
  exit_reason: 'text?',
  /** Its exit is a crash at error level (CRASHED: not one killed by the process stopping it, nor a normal stop). */
  crashed: 'bool',
  spawned_at: 'big?',
  exited_at: 'big?',
  /** ns alive within the recording. */
  lifetime_ns: 'big',
} as const;
export type ProcessTableRow = RowOf<typeof ROW>;

export async function processTable(sql: Sql): Promise<ProcessTableRow[]> {
  return readRows(
    'process table',
    await sql(
      `WITH span AS (SELECT min(ts) AS t0, max(ts) AS t1 FROM events),
       ev AS (SELECT node, pid, count(*) AS n FROM events WHERE pid IS NOT NULL GROUP BY ALL),
       mi AS (SELECT to_node AS node, to_pid AS pid, count(*) AS n FROM messages WHERE to_pid IS NOT NULL GROUP BY ALL),
       mo AS (SELECT from_node AS node, from_pid AS pid, count(*) AS n FROM messages WHERE from_pid IS NOT NULL GROUP BY ALL),
       mb AS (SELECT node, pid, max(depth) AS n FROM mailbox_depth GROUP BY ALL),
       sc AS (SELECT node, pid, count(DISTINCT seq) AS n FROM state_changes GROUP BY ALL)
       SELECT p.node, p.pid, p.name, p.initial_call, p.module, p.application,
              coalesce(ev.n, 0) AS events, coalesce(mi.n, 0) AS messages_in, coalesce(mo.n, 0) AS messages_out,
              coalesce(mb.n, 0) AS mailbox_peak, coalesce(sc.n, 0) AS state_changes, p.exit_reason, coalesce(${CRASHED('p.exit_reason', 'p.node', 'p.pid')}, false) AS crashed, p.spawned_at, p.exited_at,
              greatest(0, coalesce(p.exited_at, span.t1) - coalesce(p.spawned_at, span.t0))::BIGINT AS lifetime_ns
       FROM processes p CROSS JOIN span
       LEFT JOIN ev USING (node, pid) LEFT JOIN mi USING (node, pid) LEFT JOIN mo USING (node, pid)
       LEFT JOIN mb USING (node, pid) LEFT JOIN sc USING (node, pid)
       ORDER BY events DESC, p.node, p.pid`,
      1_000_000,
    ),
    ROW,
  );
}
