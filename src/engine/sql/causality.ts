import { eventRanges, inEventRanges, rangeTest } from './event-ranges';

/**
 * Causality ("why did this happen?"). Happened-before in a message-passing
 * system is process order plus send -> receive. Each event gets one
 * immediate cause, computed once per load in `causal_links`:
 *   - a receive: the send it consumed (`message`), when that send was traced;
 *   - anything else: the process's latest receive before it (`process`:
 *     the message whose handling it belongs to; \`receive ... after\`
 *     timeouts, traced as receives of \`:timeout\` with no send, do not
 *     count), or, before the process's
 *     first receive, the spawn that created it (`spawn`).
 * `causes(seq)` walks that chain backwards; `effects(seq)` walks the same
 * links forwards (a tree). Depth counts hops between processes (message and
 * spawn links); links within a process are free.
 */
export const BUILD_CAUSAL_LINKS = [
  // Each process's latest receive before an event comes from an ASOF join on the receives alone (a process as one
  // 64-bit hash of node and pid, also for its spawn: two processes would have to collide), not from a window over
  // every event: the window held every event's node, pid and kind at once (at 5M ping-pong events the biggest statement of the
  // load in wasm memory), and no event range of it can be built by itself (see BUILD_IN_EVENT_RANGES).
  `CREATE OR REPLACE TEMP TABLE causal_r AS
SELECT hash(e.node, e.pid) AS ph, e.seq FROM events e
ANTI JOIN (SELECT recv_seq FROM messages WHERE status = 'after_timeout') t ON t.recv_seq = e.seq
WHERE e.kind = 'receive' AND e.pid IS NOT NULL`,
  `CREATE OR REPLACE TABLE causal_links AS
WITH pr AS (
  SELECT e.seq, e.ph, e.receive, r.seq AS prev_recv
  FROM (SELECT seq, hash(node, pid) AS ph, kind = 'receive' AS receive FROM events WHERE pid IS NOT NULL AND kind <> 'drop') e
  ASOF LEFT JOIN causal_r r ON r.ph = e.ph AND e.seq > r.seq
),
spawns AS (
  SELECT hash(peer_node, peer) AS ph, min(seq) AS spawn_seq FROM events
  WHERE kind = 'spawn' AND peer_node IS NOT NULL AND peer IS NOT NULL GROUP BY ALL
)
SELECT pr.seq,
       CASE WHEN pr.receive THEN m.send_seq ELSE coalesce(pr.prev_recv, CASE WHEN sp.spawn_seq < pr.seq THEN sp.spawn_seq END) END AS cause_seq,
       CASE
         WHEN pr.receive THEN CASE WHEN m.send_seq IS NOT NULL THEN 'message' END
         WHEN pr.prev_recv IS NOT NULL THEN 'process'
         WHEN sp.spawn_seq < pr.seq THEN 'spawn'
       END AS edge
FROM pr
-- the CASE keeps this a hash join: a separate kind test made it a nested-loop join (50 s at 200k events)
LEFT JOIN messages m ON m.recv_seq = CASE WHEN pr.receive THEN pr.seq END
LEFT JOIN spawns sp ON sp.ph = pr.ph
ORDER BY pr.seq`,
  'DROP TABLE causal_r',
];

export const CREATE_CAUSAL_MACROS = [
  `CREATE OR REPLACE MACRO causes(s, max_depth := 10) AS TABLE
   WITH RECURSIVE walk(step, hop, seq, edge) AS (
     SELECT 0, 0, CAST(s AS BIGINT), CAST(NULL AS VARCHAR)
     UNION ALL
     SELECT w.step + 1, w.hop + CASE WHEN c.edge = 'process' THEN 0 ELSE 1 END, c.cause_seq, c.edge
     FROM walk w JOIN causal_links c ON c.seq = w.seq
     WHERE c.cause_seq IS NOT NULL
       AND w.hop + CASE WHEN c.edge = 'process' THEN 0 ELSE 1 END <= max_depth
       AND w.step < 2 * max_depth + 1
   )
   SELECT w.step, w.hop, w.edge, e.seq, e.ts, e.node, e.pid, e.kind, e.peer, e.mfa, e.term
   FROM walk w JOIN events e ON e.seq = w.seq
   ORDER BY w.step`,
  `CREATE OR REPLACE MACRO effects(s, max_depth := 3) AS TABLE
   WITH RECURSIVE walk(step, hop, seq, edge, cause_seq) AS (
     SELECT 0, 0, CAST(s AS BIGINT), CAST(NULL AS VARCHAR), CAST(NULL AS BIGINT)
     UNION ALL
     SELECT w.step + 1, w.hop + CASE WHEN c.edge = 'process' THEN 0 ELSE 1 END, c.seq, c.edge, w.seq
     FROM walk w JOIN causal_links c ON c.cause_seq = w.seq
     WHERE w.hop + CASE WHEN c.edge = 'process' THEN 0 ELSE 1 END <= max_depth
       AND w.step < 2 * max_depth + 1
   )
   SELECT w.step, w.hop, w.edge, w.cause_seq, e.seq, e.ts, e.node, e.pid, e.kind, e.peer, e.mfa, e.term
   FROM walk w JOIN events e ON e.seq = w.seq
   ORDER BY w.hop, e.seq`,
];

export const BUILD_CAUSALITY = [...BUILD_CAUSAL_LINKS, ...CREATE_CAUSAL_MACROS];

/** BUILD_CAUSAL_LINKS' \`causal_links\` statement (see causalLinksInRanges). */
export const BUILD_CAUSAL_LINKS_TABLE = BUILD_CAUSAL_LINKS[1];

/**
 * \`causal_links\` as DuckDB-WASM builds it on a big load: one range of events at a time (inEventRanges), each range's
 * ASOF join reading only the receives it can meet, those of the range and each process's last one before it, and its
 * join to messages only the range's receives. Over every receive, each range's ASOF join sorted them all again
 * (+108 MiB of wasm memory at 5M ping-pong events, the load's peak once the other steps were narrowed).
 */
export function causalLinksInRanges(events: number, rangeEvents: number): string[] {
  if (events <= rangeEvents) return [BUILD_CAUSAL_LINKS_TABLE];
  const ranges = eventRanges(events, rangeEvents);
  return inEventRanges(BUILD_CAUSAL_LINKS_TABLE, 'seq', events, rangeEvents).map((sql, i) => {
    if (i === 0) return sql;
    const { lo, hi } = ranges[i - 1];
    const inRange = (c: string) => rangeTest(c, lo, hi);
    const receives =
      lo !== null
        ? `(SELECT ph, seq FROM causal_r WHERE ${inRange('seq')} UNION ALL SELECT ph, max(seq) FROM causal_r WHERE seq < ${lo} GROUP BY ph)`
        : `(SELECT ph, seq FROM causal_r WHERE ${inRange('seq')})`;
    return sql
      .replace('ASOF LEFT JOIN causal_r r ON', `ASOF LEFT JOIN ${receives} r ON`)
      .replace('LEFT JOIN messages m ON m.recv_seq', `LEFT JOIN (SELECT recv_seq, send_seq FROM messages WHERE ${inRange('recv_seq')}) m ON m.recv_seq`);
  });
}
