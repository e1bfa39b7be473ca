import type { EngineConnection } from './duckdb/connection';

/**
 * Two loaded files that traced the same events: two trace sessions of one node (OTP 27's \`trace:session_create/3\`,
 * each to its own file), or two recordings of one node made at once (overlapping flight-recorder dumps). Each session
 * gets its own copy of an event it traced, stamped when that copy was made: the copies differ in timestamp (and in a
 * strict monotonic timestamp's unique integer), so nothing in the files proves two events are one, and a process that
 * sent the same message twice in a row would look the same. The engine keeps both copies and says so: every event
 * both traced counts twice (messages, calls, spans, anomalies).
 *
 * Found per node, process and event kind: two files with events of the same kind of the same process whose times
 * overlap (a wrap set's files, which follow one another, are one input and never overlap themselves).
 */
export function overlapWarnings(db: EngineConnection, files: ReadonlyMap<number, { name: string }>): string[] {
  const rows = db.query(`
WITH sn AS (SELECT DISTINCT node, src FROM events_raw WHERE pid IS NOT NULL),
shared AS (SELECT node FROM sn GROUP BY node HAVING count(*) > 1),
p AS (
  SELECT e.node, e.pid, e.kind, e.src, min(e.ts) AS t0, max(e.ts) AS t1, count(*) AS n
  FROM events_raw e SEMI JOIN shared s ON s.node = e.node
  WHERE e.pid IS NOT NULL AND e.kind NOT IN ('drop', 'state')
  GROUP BY ALL
)
SELECT a.node, a.src, b.src, count(DISTINCT a.pid)::INTEGER, array_to_string(list(DISTINCT a.pid ORDER BY a.pid)[1:3], ', '),
       array_to_string(list(DISTINCT a.kind ORDER BY a.kind), ', '), sum(least(a.n, b.n))::BIGINT
FROM p a JOIN p b ON b.node = a.node AND b.pid = a.pid AND b.kind = a.kind AND a.src < b.src AND a.t0 <= b.t1 AND b.t0 <= a.t1
GROUP BY ALL ORDER BY a.src, b.src, a.node`).rows;
  return rows.map(([node, a, b, procs, some, kinds, events]) => {
    const pids = String(some) + (Number(procs) > 3 ? ', ...' : '');
    return (
      `${files.get(Number(a))?.name ?? `file ${a}`} and ${files.get(Number(b))?.name ?? `file ${b}`} overlap: both traced ${String(kinds)} ` +
      `of ${procs} process${Number(procs) === 1 ? '' : 'es'} of ${node} at the same time (${pids}; up to ${events} events in each), as two trace ` +
      'sessions of one node or two recordings made at once do. Each event both traced is loaded twice (each copy has its own ' +
      'timestamp, so they cannot be told apart): those messages, calls and anomalies count twice. Load one of them, or ' +
      'trace each process in one session only.'
    );
  });
}
