import { isSupervisorSql } from '../supervisor';
import { rangeTest } from './event-ranges';

/**
 * The system as it stood at an instant: table macros over interval tables
 * built once per load, so each question is a range predicate (no replay).
 */

/** The \`messages\` statuses of the messages that entered a mailbox (docs/SCHEMA.md \`mailbox_depth\`), as a SQL list. */
export const IN_MAILBOX = "('received', 'queued_at_end', 'receiver_exited', 'sender_not_traced', 'sender_in_drop', 'signal')";

/**
 * `mailbox_depth`: each receiver's reconstructed queue length after every
 * change: +1 when a message entered (its send, or its receive when the
 * send was not traced), -1 when it left (taken, or the receiver exited).
 */
/** The last statement of BUILD_MAILBOX_DEPTH: the depths, in one window (see mailboxDepthInRanges). */
export const BUILD_MAILBOX_DEPTHS = `CREATE OR REPLACE TABLE mailbox_depth AS
${mailboxDepthQuery(null, null)}`;

export const BUILD_MAILBOX_DEPTH = [
  // Each message's row in and row out as narrow rows (a 64-bit hash of the receiver, ts, seq, delta, and the message's
  // first event to build it in ranges), then the running depth through a window over those alone; the receiver's node
  // and pid join back from a small table of the receivers. The window over the rows with the receivers' texts, in one
  // statement, set DuckDB-WASM's peak memory at 5M ping-pong events; DuckDB-WASM now builds the rows one range of
  // events at a time (BUILD_IN_EVENT_RANGES) and the depths one range of timestamps at a time
  // (mailboxDepthInRanges). (Two receivers would have to collide in the hash for a depth to count another's messages.)
  `CREATE OR REPLACE TABLE mailbox_d AS
WITH q AS (
  SELECT hash(m.to_node, m.to_pid) AS ph, coalesce(m.sent_at, m.received_at) AS in_at, coalesce(m.send_seq, m.recv_seq) AS in_seq,
         coalesce(m.taken_at, CASE WHEN p.exited_at >= coalesce(m.sent_at, m.received_at) THEN p.exited_at END) AS out_at,
         CASE WHEN m.taken_at IS NOT NULL THEN coalesce(m.consumed_seq, m.recv_seq) END AS out_seq
  FROM messages m LEFT JOIN processes p ON p.node = m.to_node AND p.pid = m.to_pid
  WHERE m.status IN ${IN_MAILBOX}
)
-- Each message's row in and row out, from one read of q: q read twice is materialised whole first.
SELECT q.ph, CASE WHEN x.delta = 1 THEN q.in_at ELSE q.out_at END AS ts,
       CASE WHEN x.delta = 1 THEN q.in_seq ELSE q.out_seq END AS seq, x.delta, q.in_seq
FROM q CROSS JOIN (VALUES (1), (-1)) x(delta)
WHERE x.delta = 1 OR q.out_at IS NOT NULL`,
  `CREATE OR REPLACE TEMP TABLE mailbox_k AS
SELECT DISTINCT hash(to_node, to_pid) AS ph, to_node AS node, to_pid AS pid FROM messages
WHERE status IN ${IN_MAILBOX}`,
  BUILD_MAILBOX_DEPTHS,
  'DROP TABLE mailbox_d',
  'DROP TABLE mailbox_k',
];

/**
 * The depths of the mailbox rows with \`ts\` in [lo, hi) (SQL expressions; null: open): a window over those rows
 * alone, each process's running sum starting from the sum of its rows before lo. Rows order by (ts, -delta, seq)
 * within a process, so ranges of ts number as one window over all rows; a row without ts (none is expected) comes last
 * in that order, so the last range takes it. At one instant a message comes in before one goes out: a message that
 * entered and left at the same event (a receive with no send, taken as it came) counts 1 then 0, never -1.
 */
function mailboxDepthQuery(lo: string | null, hi: string | null): string {
  const tests = rangeTest('ts', lo, hi);
  const where = tests === '' ? '' : ` WHERE ${tests}${hi === null ? ' OR ts IS NULL' : ''}`;
  const window = `SELECT ph, ts, seq, delta, sum(delta) OVER (PARTITION BY ph ORDER BY ts, delta DESC, seq ROWS UNBOUNDED PRECEDING) AS depth FROM mailbox_d${where}`;
  if (lo === null)
    return `SELECT k.node, k.pid, w.ts, w.seq, w.delta, w.depth::BIGINT AS depth
FROM (${window}) w JOIN mailbox_k k ON k.ph = w.ph`;
  return `SELECT k.node, k.pid, w.ts, w.seq, w.delta, (w.depth + coalesce(b.depth, 0))::BIGINT AS depth
FROM (${window}) w JOIN mailbox_k k ON k.ph = w.ph
LEFT JOIN (SELECT ph, sum(delta) AS depth FROM mailbox_d WHERE ts < ${lo} GROUP BY ph) b ON b.ph = w.ph`;
}

/**
 * BUILD_MAILBOX_DEPTH's \`mailbox_depth\` as DuckDB-WASM builds it on a big load: an empty table, then one \`INSERT\` per
 * range of timestamps, cut at the timestamps of every \`rangeEvents\`-th event (seq is in ts order once the load is
 * resequenced), so each window holds about one range of events' rows.
 */
export function mailboxDepthInRanges(events: number, rangeEvents: number): string[] {
  if (events <= rangeEvents) return [BUILD_MAILBOX_DEPTHS];
  // (Any ascending cuts number the same; min(...) where seq >= k also holds when events were deleted.)
  const at = (seq: number) => `coalesce((SELECT min(ts) FROM events_raw WHERE seq >= ${seq}), 9223372036854775807)`;
  const out = [`CREATE OR REPLACE TABLE mailbox_depth AS SELECT * FROM (${mailboxDepthQuery(null, null)}) WITH NO DATA`];
  for (let lo = 0; lo < events; lo += rangeEvents) {
    const hi = lo + rangeEvents < events ? at(lo + rangeEvents) : null;
    out.push(`INSERT INTO mailbox_depth ${mailboxDepthQuery(lo > 0 ? at(lo) : null, hi)}`);
  }
  return out;
}

/**
 * Series bucketed for drawing (Perfetto's counter "mipmaps"): per process and
 * per bucket \`[t_start + k * bucket_ns, t_start + (k + 1) * bucket_ns)\`, the
 * value carried into the bucket, the extremes within it (the carried value
 * included: a queue that only drains in a bucket still peaked at its start)
 * and the value at its end. Rows only for buckets where the value changed,
 * plus bucket 0 for a value carried into the window; between rows the value
 * stays at the previous row's end. Views draw these instead of re-deriving
 * the series, so a chart cannot disagree with \`mailbox_at\` or \`state_at\`.
 */
export const CREATE_BUCKET_MACROS = [
  // A depth after the changes up to some point is the sum of their deltas: no ordering key picks out the last row of an
  // instant (a receiver's exit empties its queue in rows that share ts, delta and seq).
  `CREATE OR REPLACE MACRO mailbox_depth_buckets(t_start, bucket_ns, n) AS TABLE
   WITH before AS (
     SELECT node, pid, sum(delta)::BIGINT AS depth FROM mailbox_depth WHERE ts < t_start GROUP BY ALL
   ),
   changes AS (
     SELECT node, pid, (ts - t_start) // bucket_ns AS bucket, max(depth) AS mx, min(depth) AS mn, sum(delta)::BIGINT AS change
     FROM mailbox_depth WHERE ts >= t_start AND ts < t_start + n * bucket_ns GROUP BY ALL
   ),
   inside AS (
     SELECT c.node, c.pid, c.bucket, c.mx, c.mn, c.change,
            (coalesce(b.depth, 0) + sum(c.change) OVER (PARTITION BY c.node, c.pid ORDER BY c.bucket))::BIGINT AS depth_end
     FROM changes c LEFT JOIN before b ON b.node = c.node AND b.pid = c.pid
   )
   SELECT node, pid, bucket::BIGINT AS bucket, depth_end - change AS depth_start, greatest(mx, depth_end - change) AS depth_max,
          least(mn, depth_end - change) AS depth_min, depth_end
   FROM inside
   UNION ALL
   SELECT b.node, b.pid, 0, b.depth, b.depth, b.depth, b.depth FROM before b
   WHERE b.depth <> 0 AND NOT EXISTS (SELECT 1 FROM inside i WHERE i.node = b.node AND i.pid = b.pid AND i.bucket = 0)
   ORDER BY node, pid, bucket`,
  `CREATE OR REPLACE MACRO state_size_buckets(t_start, bucket_ns, n) AS TABLE
   WITH s AS (
     SELECT node, pid, ts, seq, state_size, lag(state_size) OVER (PARTITION BY node, pid ORDER BY seq) AS prev_size
     FROM states WHERE ts < t_start + n * bucket_ns AND state_size IS NOT NULL
   ),
   before AS (SELECT node, pid, arg_max(state_size, seq) AS size FROM s WHERE ts < t_start GROUP BY ALL),
   inside AS (
     SELECT node, pid, (ts - t_start) // bucket_ns AS bucket, arg_min(prev_size, seq) AS size_start,
            max(state_size) AS mx, min(state_size) AS mn, arg_max(state_size, seq) AS size_end
     FROM s WHERE ts >= t_start GROUP BY ALL
   )
   SELECT node, pid, bucket::BIGINT AS bucket, size_start, greatest(mx, size_start) AS size_max, least(mn, size_start) AS size_min, size_end
   FROM inside
   UNION ALL
   SELECT b.node, b.pid, 0, b.size, b.size, b.size, b.size FROM before b
   WHERE NOT EXISTS (SELECT 1 FROM inside i WHERE i.node = b.node AND i.pid = b.pid AND i.bucket = 0)
   ORDER BY node, pid, bucket`,
];

/**
 * `links`: one row per link interval between two processes (each side's
 * link event is traced, so both collapse into one); a link ends at an
 * unlink or when either side exits.
 */
export const BUILD_LINKS = `
CREATE OR REPLACE TABLE links AS
WITH le AS (
  SELECT seq, ts, kind,
         CASE WHEN node || ' ' || pid <= peer_node || ' ' || peer THEN node ELSE peer_node END AS a_node,
         CASE WHEN node || ' ' || pid <= peer_node || ' ' || peer THEN pid ELSE peer END AS a_pid,
         CASE WHEN node || ' ' || pid <= peer_node || ' ' || peer THEN peer_node ELSE node END AS b_node,
         CASE WHEN node || ' ' || pid <= peer_node || ' ' || peer THEN peer ELSE pid END AS b_pid
  FROM events WHERE kind IN ('link', 'unlink') AND peer IS NOT NULL
),
ch AS (
  SELECT *, lag(kind) OVER (PARTITION BY a_node, a_pid, b_node, b_pid ORDER BY seq) AS prev_kind FROM le
),
iv AS (
  SELECT *, lead(ts) OVER (PARTITION BY a_node, a_pid, b_node, b_pid ORDER BY seq) AS unlinked_at
  FROM ch WHERE prev_kind IS NULL OR prev_kind <> kind
)
SELECT iv.a_node AS node, iv.a_pid AS pid, iv.b_node AS peer_node, iv.b_pid AS peer, iv.seq AS link_seq, iv.ts AS linked_at,
       least(iv.unlinked_at, pa.exited_at, pb.exited_at) AS unlinked_at
FROM iv
LEFT JOIN processes pa ON pa.node = iv.a_node AND pa.pid = iv.a_pid AND pa.exited_at >= iv.ts
LEFT JOIN processes pb ON pb.node = iv.b_node AND pb.pid = iv.b_pid AND pb.exited_at >= iv.ts
WHERE iv.kind = 'link'
ORDER BY iv.seq`;

/**
 * Table macros. `t` is a BIGINT ns timestamp (an event's `ts`); "at t"
 * includes the events stamped exactly t.
 */
export const CREATE_AT_MACROS = [
  `CREATE OR REPLACE MACRO alive_at(t) AS TABLE
   SELECT node, pid, name, initial_call, module, parent_pid, spawned_at
   FROM processes
   WHERE (spawned_at IS NULL OR spawned_at <= t) AND (exited_at IS NULL OR exited_at > t)
   ORDER BY node, pid`,
  `CREATE OR REPLACE MACRO state_at(t) AS TABLE
   SELECT node, pid, ts, seq, callback, message, state, state_size
   FROM states
   WHERE ts <= t AND (until_ts IS NULL OR until_ts > t)
   ORDER BY node, pid`,
  `CREATE OR REPLACE MACRO mailbox_at(t) AS TABLE
   SELECT m.to_node AS node, m.to_pid AS pid, m.msg, m.from_pid, m.from_node, m.sent_at, m.send_seq, m.recv_seq,
          CASE WHEN m.received_at IS NULL OR m.received_at > t THEN 'in_flight' ELSE 'queued' END AS stage,
          row_number() OVER (PARTITION BY m.to_node, m.to_pid ORDER BY coalesce(m.sent_at, m.received_at), coalesce(m.send_seq, m.recv_seq)) AS position
   FROM messages m LEFT JOIN processes p ON p.node = m.to_node AND p.pid = m.to_pid
   WHERE m.status IN ${IN_MAILBOX}
     AND coalesce(m.sent_at, m.received_at) <= t
     AND (m.taken_at IS NULL OR m.taken_at > t)
     AND (p.exited_at IS NULL OR p.exited_at > t)
   ORDER BY node, pid, position`,
  `CREATE OR REPLACE MACRO links_at(t) AS TABLE
   SELECT node, pid, peer_node, peer, linked_at FROM links
   WHERE linked_at <= t AND (unlinked_at IS NULL OR unlinked_at > t)
   ORDER BY node, pid, peer_node, peer`,
  `CREATE OR REPLACE MACRO tree_at(t) AS TABLE
   WITH a AS (
     SELECT a.*, p.application, p.child_id, p.child_type FROM alive_at(t) a JOIN processes p ON p.node = a.node AND p.pid = a.pid
   ),
   l AS (
     SELECT node, pid, peer_node AS other_node, peer AS other FROM links_at(t)
     UNION ALL SELECT peer_node, peer, node, pid FROM links_at(t)
   ),
   lk AS (SELECT node, pid, string_agg(other, ' ' ORDER BY other) AS links FROM l GROUP BY node, pid),
   sv AS (SELECT node, pid, any_value(supervisor) AS supervisor FROM supervision WHERE pid IS NOT NULL GROUP BY node, pid)
   SELECT a.node, a.pid, coalesce(sv.supervisor, a.parent_pid) AS parent_pid, a.name, a.module, a.initial_call,
          ${isSupervisorSql('a.')} AS is_supervisor,
          lk.links, a.application, a.child_id
   FROM a LEFT JOIN lk ON lk.node = a.node AND lk.pid = a.pid
   LEFT JOIN sv ON sv.node = a.node AND sv.pid = a.pid
   ORDER BY a.node, coalesce(sv.supervisor, a.parent_pid) NULLS FIRST, a.pid`,
];

export const BUILD_SYSTEM_AT = [...BUILD_MAILBOX_DEPTH, BUILD_LINKS, ...CREATE_AT_MACROS, ...CREATE_BUCKET_MACROS];
