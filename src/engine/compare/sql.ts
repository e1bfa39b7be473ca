/**
 * The SQL of the compare tables (docs/SCHEMA.md "Comparing two recordings").
 * Recording A's tables are the analyzer's own (`main`), recording B's the
 * same tables in schema `b` of the same database (loaded by the same engine
 * on its own connection), so every comparison is one plain SQL statement
 * across both. These run on A's connection, after `compare_shapes` is filled.
 *
 * Significance thresholds: a call group is `slower` when its p95 grew by at
 * least SLOWER_RATIO and by at least LATENCY_FLOOR_NS (jitter on microsecond
 * calls is not a change); a mailbox peak changed when it doubled (or halved)
 * and moved by at least 10 messages; a state size when its last size changed
 * by at least 1.5x and 10 term nodes. Counts (messages, calls, processes,
 * restarts, anomalies) change when they differ at all.
 */
import { ABNORMAL, STOPPED_BY_STOPPER } from '../sql/anomalies';

export const SLOWER_RATIO = 1.5;
export const LATENCY_FLOOR_NS = 1_000_000;

/** Both sides' rows of one table, tagged `side` 'a' / 'b'. */
const both = (table: string, where = '') =>
  `(SELECT 'a' AS side, * FROM main.${table} ${where} UNION ALL BY NAME SELECT 'b' AS side, * FROM b.${table} ${where})`;

/** A change label list: NULL when nothing applies. */
const changes = (...cases: string[]) => `nullif(concat_ws(', ', ${cases.join(', ')}), '')`;

const pidNumber = (col: string) => `TRY_CAST(split_part(${col}, '.', 2) AS BIGINT)`;

export const COMPARE_OVERRIDES = `CREATE TABLE IF NOT EXISTS compare_overrides (a_node VARCHAR, a_pid VARCHAR, b_node VARCHAR, b_pid VARCHAR)`;

export const CREATE_SHAPES = `CREATE OR REPLACE TABLE compare_shapes (text VARCHAR, shape VARCHAR)`;

/** Every term text whose shape the compare tables need (messages, call requests), both sides. */
export const SHAPE_TEXTS = `
SELECT DISTINCT text FROM (
  SELECT msg AS text FROM main.messages UNION ALL SELECT msg FROM b.messages
  UNION ALL SELECT request FROM main.calls UNION ALL SELECT request FROM b.calls
) WHERE text IS NOT NULL`;

/**
 * Each process of either side with its role (registered name, else callback
 * module, else initial call), its parent's role, and its ordinal among the
 * processes of the same role (and, unnamed, the same parent role) in spawn
 * order: the matching key, since pids differ between runs.
 */
const PROCS = `
CREATE OR REPLACE TEMP TABLE cmp_procs AS
WITH p AS ${both('processes')},
r AS (SELECT p.*, coalesce(p.name, p.module, p.initial_call, '(unknown)') AS role FROM p),
ev AS (
  SELECT 'a' AS side, node, pid, min(seq) AS first_seq, min(seq) FILTER (WHERE kind = 'exit') AS exit_seq FROM main.events WHERE pid IS NOT NULL GROUP BY ALL
  UNION ALL
  SELECT 'b' AS side, node, pid, min(seq) AS first_seq, min(seq) FILTER (WHERE kind = 'exit') AS exit_seq FROM b.events WHERE pid IS NOT NULL GROUP BY ALL
),
-- killed by the process stopping it: no crash (the crash anomaly's info and warning rows)
sk AS (SELECT 'a' AS side, node, pid FROM (${STOPPED_BY_STOPPER('main.')}) UNION ALL SELECT 'b' AS side, node, pid FROM (${STOPPED_BY_STOPPER('b.')}))
SELECT r.side, r.node, r.pid, r.name, r.role, coalesce(pr.role, '') AS parent_role, r.parent_pid,
       r.spawned_at, r.exited_at, r.exit_reason, ev.first_seq, ev.exit_seq,
       coalesce(${ABNORMAL('r.exit_reason')} AND NOT (r.exit_reason = ':killed' AND sk.pid IS NOT NULL), false) AS crashed,
       coalesce(r.exit_reason = ':killed' AND sk.pid IS NOT NULL, false) AS stopped,
       row_number() OVER (PARTITION BY r.side, r.role, CASE WHEN r.name IS NULL THEN coalesce(pr.role, '') END
                          ORDER BY r.spawned_at NULLS FIRST, ${pidNumber('r.pid')}, r.pid) AS ordinal
FROM r
LEFT JOIN r pr ON pr.side = r.side AND pr.node = r.node AND pr.pid = r.parent_pid
LEFT JOIN ev ON ev.side = r.side AND ev.node = r.node AND ev.pid = r.pid
LEFT JOIN sk ON sk.side = r.side AND sk.node = r.node AND sk.pid = r.pid`;

/**
 * compare_match: A's processes paired with B's. Named processes pair by name
 * and instance (the n-th process to hold the name), others by role, parent
 * role and ordinal. A row of compare_overrides replaces the automatic pairing
 * of both its pids (a NULL side: that process has no counterpart).
 */
const MATCH = `
CREATE OR REPLACE TABLE compare_match AS
WITH a AS (SELECT * FROM cmp_procs WHERE side = 'a'), b AS (SELECT * FROM cmp_procs WHERE side = 'b'),
auto AS (
  SELECT a.node AS a_node, a.pid AS a_pid, b.node AS b_node, b.pid AS b_pid,
         coalesce(a.role, b.role) AS role, coalesce(a.parent_role, b.parent_role) AS parent_role, coalesce(a.ordinal, b.ordinal) AS ordinal,
         CASE WHEN a.pid IS NOT NULL AND b.pid IS NOT NULL THEN CASE WHEN a.name IS NOT NULL THEN 'name' ELSE 'position' END END AS how
  FROM a FULL JOIN b ON a.role = b.role AND a.ordinal = b.ordinal AND (a.name IS NULL) = (b.name IS NULL)
                    AND (a.name IS NOT NULL OR a.parent_role = b.parent_role)
),
oa AS (SELECT a_node AS node, a_pid AS pid FROM compare_overrides WHERE a_pid IS NOT NULL),
ob AS (SELECT b_node AS node, b_pid AS pid FROM compare_overrides WHERE b_pid IS NOT NULL),
flags AS (
  SELECT auto.*, EXISTS (SELECT 1 FROM oa WHERE oa.node = auto.a_node AND oa.pid = auto.a_pid) AS a_over,
         EXISTS (SELECT 1 FROM ob WHERE ob.node = auto.b_node AND ob.pid = auto.b_pid) AS b_over
  FROM auto
)
SELECT a_node, a_pid, b_node, b_pid, role, parent_role, ordinal, how FROM flags WHERE NOT a_over AND NOT b_over
UNION ALL
SELECT a_node, a_pid, NULL, NULL, role, parent_role, ordinal, NULL FROM flags WHERE a_pid IS NOT NULL AND NOT a_over AND b_over
UNION ALL
SELECT NULL, NULL, b_node, b_pid, role, parent_role, ordinal, NULL FROM flags WHERE b_pid IS NOT NULL AND NOT b_over AND a_over
UNION ALL
SELECT o.a_node, o.a_pid, o.b_node, o.b_pid, coalesce(pa.role, pb.role), coalesce(pa.parent_role, pb.parent_role), coalesce(pa.ordinal, pb.ordinal),
       CASE WHEN o.a_pid IS NOT NULL AND o.b_pid IS NOT NULL THEN 'manual' END
FROM compare_overrides o
LEFT JOIN cmp_procs pa ON pa.side = 'a' AND pa.node = o.a_node AND pa.pid = o.a_pid
LEFT JOIN cmp_procs pb ON pb.side = 'b' AND pb.node = o.b_node AND pb.pid = o.b_pid
ORDER BY role, ordinal, a_pid, b_pid`;

const roleJoin = (alias: string, side: string, node: string, pid: string) =>
  `LEFT JOIN cmp_procs ${alias} ON ${alias}.side = ${side} AND ${alias}.node = ${node} AND ${alias}.pid = ${pid}`;

const CALLS = `
CREATE OR REPLACE TABLE compare_calls AS
WITH c AS (
  SELECT c.side, c.call_seq, c.latency_ns, c.outcome, coalesce(r.role, c.callee_pid, '(unknown)') AS callee, coalesce(s.shape, '_') AS shape
  FROM ${both('calls')} c
  ${roleJoin('r', 'c.side', 'c.callee_node', 'c.callee_pid')}
  LEFT JOIN compare_shapes s ON s.text = c.request
),
g AS (
  SELECT callee, shape,
         count(*) FILTER (WHERE side = 'a') AS n_a, count(*) FILTER (WHERE side = 'b') AS n_b,
         quantile_cont(latency_ns, 0.5) FILTER (WHERE side = 'a') AS p50_a, quantile_cont(latency_ns, 0.5) FILTER (WHERE side = 'b') AS p50_b,
         quantile_cont(latency_ns, 0.95) FILTER (WHERE side = 'a') AS p95_a, quantile_cont(latency_ns, 0.95) FILTER (WHERE side = 'b') AS p95_b,
         max(latency_ns) FILTER (WHERE side = 'a') AS max_a, max(latency_ns) FILTER (WHERE side = 'b') AS max_b,
         coalesce(sum(latency_ns) FILTER (WHERE side = 'a'), 0) AS total_a, coalesce(sum(latency_ns) FILTER (WHERE side = 'b'), 0) AS total_b,
         count(*) FILTER (WHERE side = 'a' AND outcome = 'timeout') AS timeouts_a, count(*) FILTER (WHERE side = 'b' AND outcome = 'timeout') AS timeouts_b,
         count(*) FILTER (WHERE side = 'a' AND outcome NOT IN ('reply', 'timeout', 'in_drop')) AS exits_a,
         count(*) FILTER (WHERE side = 'b' AND outcome NOT IN ('reply', 'timeout', 'in_drop')) AS exits_b,
         arg_max(call_seq, coalesce(latency_ns, -1)) FILTER (WHERE side = 'a') AS a_seq, arg_max(call_seq, coalesce(latency_ns, -1)) FILTER (WHERE side = 'b') AS b_seq
  FROM c GROUP BY callee, shape
)
SELECT callee, shape, n_a, n_b, p50_a, p50_b, p95_a, p95_b, max_a, max_b,
       p50_b / nullif(p50_a, 0) AS p50_ratio, p95_b / nullif(p95_a, 0) AS p95_ratio, max_b / nullif(max_a, 0) AS max_ratio,
       timeouts_a, timeouts_b, exits_a, exits_b,
       ${changes(
         `CASE WHEN n_a = 0 THEN 'new' END`,
         `CASE WHEN n_b = 0 THEN 'vanished' END`,
         `CASE WHEN p95_b >= ${SLOWER_RATIO} * p95_a AND p95_b - p95_a >= ${LATENCY_FLOOR_NS} THEN 'slower' END`,
         `CASE WHEN p95_a >= ${SLOWER_RATIO} * p95_b AND p95_a - p95_b >= ${LATENCY_FLOOR_NS} THEN 'faster' END`,
         `CASE WHEN n_a > 0 AND n_b > 0 AND n_a <> n_b THEN 'count' END`,
         `CASE WHEN timeouts_a <> timeouts_b THEN 'timeouts' END`,
         `CASE WHEN exits_a <> exits_b THEN 'exits' END`,
       )} AS change,
       abs(total_b - total_a)::BIGINT AS impact_ns, a_seq, b_seq
FROM g ORDER BY change IS NULL, impact_ns DESC, callee, shape`;

const MESSAGES = `
CREATE OR REPLACE TABLE compare_messages AS
WITH m AS (
  SELECT m.side, coalesce(m.send_seq, m.recv_seq) AS seq,
         coalesce(f.role, '(not traced)') AS sender, coalesce(t.role, m.to_pid, '(unknown)') AS receiver, coalesce(s.shape, '_') AS shape
  FROM ${both('messages', "WHERE status NOT IN ('after_timeout', 'port_reply')")} m
  ${roleJoin('f', 'm.side', 'm.from_node', 'm.from_pid')}
  ${roleJoin('t', 'm.side', 'm.to_node', 'm.to_pid')}
  LEFT JOIN compare_shapes s ON s.text = m.msg
),
g AS (
  SELECT sender, receiver, shape, count(*) FILTER (WHERE side = 'a') AS n_a, count(*) FILTER (WHERE side = 'b') AS n_b,
         min(seq) FILTER (WHERE side = 'a') AS a_seq, min(seq) FILTER (WHERE side = 'b') AS b_seq
  FROM m GROUP BY ALL
)
SELECT sender, receiver, shape, n_a, n_b, n_b - n_a AS delta,
       CASE WHEN n_a = 0 THEN 'new' WHEN n_b = 0 THEN 'vanished' WHEN n_b > n_a THEN 'more' WHEN n_b < n_a THEN 'fewer' END AS change,
       a_seq, b_seq
FROM g ORDER BY change IS NULL, abs(n_b - n_a) DESC, sender, receiver, shape`;

const PROCESSES = `
CREATE OR REPLACE TABLE compare_processes AS
WITH g AS (
  SELECT role,
         count(*) FILTER (WHERE side = 'a') AS procs_a, count(*) FILTER (WHERE side = 'b') AS procs_b,
         count(spawned_at) FILTER (WHERE side = 'a') AS spawned_a, count(spawned_at) FILTER (WHERE side = 'b') AS spawned_b,
         count(exited_at) FILTER (WHERE side = 'a') AS exited_a, count(exited_at) FILTER (WHERE side = 'b') AS exited_b,
         count(*) FILTER (WHERE side = 'a' AND crashed) AS crashed_a, count(*) FILTER (WHERE side = 'b' AND crashed) AS crashed_b,
         coalesce(min(exit_seq) FILTER (WHERE side = 'a' AND crashed), min(first_seq) FILTER (WHERE side = 'a')) AS a_seq,
         coalesce(min(exit_seq) FILTER (WHERE side = 'b' AND crashed), min(first_seq) FILTER (WHERE side = 'b')) AS b_seq
  FROM cmp_procs GROUP BY role
)
SELECT role, procs_a, procs_b, spawned_a, spawned_b, exited_a, exited_b, crashed_a, crashed_b,
       ${changes(
         `CASE WHEN procs_a = 0 THEN 'new' END`,
         `CASE WHEN procs_b = 0 THEN 'vanished' END`,
         `CASE WHEN procs_a > 0 AND procs_b > 0 AND procs_a <> procs_b THEN 'count' END`,
         `CASE WHEN spawned_a <> spawned_b THEN 'spawned' END`,
         `CASE WHEN exited_a <> exited_b THEN 'exited' END`,
         `CASE WHEN crashed_a <> crashed_b THEN 'crashed' END`,
       )} AS change,
       a_seq, b_seq
FROM g ORDER BY change IS NULL, abs(crashed_b - crashed_a) DESC, abs(procs_b - procs_a) + abs(spawned_b - spawned_a) + abs(exited_b - exited_a) DESC, role`;

/** A restart: a process spawned by a parent that already saw a process of the same role exit. */
const RESTARTS = `
CREATE OR REPLACE TABLE compare_restarts AS
WITH rs AS (
  SELECT p.side, p.parent_role AS supervisor, p.role AS child, p.first_seq
  FROM cmp_procs p
  WHERE p.spawned_at IS NOT NULL AND EXISTS (
    SELECT 1 FROM cmp_procs q WHERE q.side = p.side AND q.node = p.node AND q.parent_pid = p.parent_pid AND q.role = p.role
      AND q.pid <> p.pid AND q.exited_at <= p.spawned_at AND NOT q.stopped)
)
SELECT supervisor, child, count(*) FILTER (WHERE side = 'a') AS restarts_a, count(*) FILTER (WHERE side = 'b') AS restarts_b,
       CASE WHEN count(*) FILTER (WHERE side = 'a') <> count(*) FILTER (WHERE side = 'b') THEN 'restarts' END AS change,
       min(first_seq) FILTER (WHERE side = 'a') AS a_seq, min(first_seq) FILTER (WHERE side = 'b') AS b_seq
FROM rs GROUP BY ALL ORDER BY change IS NULL, abs(restarts_b - restarts_a) DESC, supervisor, child`;

const MAILBOX = `
CREATE OR REPLACE TABLE compare_mailbox AS
WITH pk AS (
  -- peak_seq: where the peak was first reached (as the mailbox_growth anomaly names it), not any row at that depth
  SELECT 'a' AS side, node, pid, max(depth) AS peak, arg_min(seq, (-depth, ts, -delta, seq)) AS peak_seq FROM main.mailbox_depth GROUP BY ALL
  UNION ALL SELECT 'b', node, pid, max(depth), arg_min(seq, (-depth, ts, -delta, seq)) FROM b.mailbox_depth GROUP BY ALL
),
st AS (
  SELECT 'a' AS side, node, pid, arg_min(state_size, seq) AS first_size, arg_max(state_size, seq) AS last_size, max(seq) AS last_seq FROM main.states GROUP BY ALL
  UNION ALL SELECT 'b', node, pid, arg_min(state_size, seq), arg_max(state_size, seq), max(seq) FROM b.states GROUP BY ALL
),
j AS (
  SELECT m.role, m.ordinal, m.a_node, m.a_pid, m.b_node, m.b_pid,
         coalesce(pa.peak, 0) AS peak_a, coalesce(pb.peak, 0) AS peak_b,
         sa.first_size AS size_first_a, sa.last_size AS size_last_a, sb.first_size AS size_first_b, sb.last_size AS size_last_b,
         pa.peak_seq AS a_peak_seq, pb.peak_seq AS b_peak_seq, sa.last_seq AS a_state_seq, sb.last_seq AS b_state_seq
  FROM compare_match m
  LEFT JOIN pk pa ON pa.side = 'a' AND pa.node = m.a_node AND pa.pid = m.a_pid
  LEFT JOIN pk pb ON pb.side = 'b' AND pb.node = m.b_node AND pb.pid = m.b_pid
  LEFT JOIN st sa ON sa.side = 'a' AND sa.node = m.a_node AND sa.pid = m.a_pid
  LEFT JOIN st sb ON sb.side = 'b' AND sb.node = m.b_node AND sb.pid = m.b_pid
  WHERE m.a_pid IS NOT NULL AND m.b_pid IS NOT NULL AND coalesce(pa.pid, pb.pid, sa.pid, sb.pid) IS NOT NULL
)
SELECT *,
       ${changes(
         `CASE WHEN greatest(peak_a, peak_b) >= 2 * least(peak_a, peak_b) AND abs(peak_b - peak_a) >= 10 THEN 'mailbox' END`,
         `CASE WHEN greatest(size_last_a, size_last_b) >= 1.5 * least(size_last_a, size_last_b) AND abs(size_last_b - size_last_a) >= 10 THEN 'state size' END`,
       )} AS change
FROM j ORDER BY change IS NULL, greatest(abs(peak_b - peak_a), abs(coalesce(size_last_b, 0) - coalesce(size_last_a, 0))) DESC, role, ordinal`;

const ANOMALIES = `
CREATE OR REPLACE TABLE compare_anomalies AS
WITH an AS (
  SELECT a.side, a.kind, a.severity, a.seq, a.summary, coalesce(r.role, a.pid, '(none)') AS role
  FROM ${both('anomalies')} a ${roleJoin('r', 'a.side', 'a.node', 'a.pid')}
),
g AS (
  SELECT kind, role, min(CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END) AS rank,
         count(*) FILTER (WHERE side = 'a') AS n_a, count(*) FILTER (WHERE side = 'b') AS n_b,
         arg_min(summary, seq) FILTER (WHERE side = 'a') AS summary_a, arg_min(summary, seq) FILTER (WHERE side = 'b') AS summary_b,
         min(seq) FILTER (WHERE side = 'a') AS a_seq, min(seq) FILTER (WHERE side = 'b') AS b_seq
  FROM an GROUP BY kind, role
)
SELECT kind, ['error', 'warning', 'info'][rank + 1] AS severity, role, n_a, n_b,
       CASE WHEN n_a = 0 THEN 'new' WHEN n_b = 0 THEN 'gone' WHEN n_b > n_a THEN 'more' WHEN n_b < n_a THEN 'fewer' END AS change,
       summary_a, summary_b, a_seq, b_seq
FROM g ORDER BY change IS NULL, rank, abs(n_b - n_a) DESC, kind, role`;

const elide = (col: string) => `regexp_replace(${col}, '#(PID|Reference|Port)<[^>]*>', '#\\1<_>', 'g')`;

/**
 * Each matched pair's state sequences side by side: the first position at
 * which the callback, the message it handled or the state after differ
 * (pids, references and ports elided). `diff` is filled in by the engine
 * (a structural diff of the two states, src/engine/compare/build.ts).
 */
const STATES = `
CREATE OR REPLACE TABLE compare_states AS
WITH pairs AS (SELECT row_number() OVER (ORDER BY role, ordinal, a_pid) AS pair, * FROM compare_match WHERE a_pid IS NOT NULL AND b_pid IS NOT NULL),
s AS (
  SELECT p.pair, x.side, x.seq, x.callback, x.message, x.state,
         row_number() OVER (PARTITION BY p.pair, x.side ORDER BY x.seq) AS i
  FROM ${both('states')} x
  JOIN pairs p ON (x.side = 'a' AND x.node = p.a_node AND x.pid = p.a_pid) OR (x.side = 'b' AND x.node = p.b_node AND x.pid = p.b_pid)
),
sa AS (SELECT * FROM s WHERE side = 'a'), sb AS (SELECT * FROM s WHERE side = 'b'),
j AS (
  SELECT coalesce(sa.pair, sb.pair) AS pair, coalesce(sa.i, sb.i) AS i, sa.seq AS a_seq, sb.seq AS b_seq,
         sa.callback AS callback_a, sb.callback AS callback_b, sa.message AS message_a, sb.message AS message_b, sa.state AS state_a, sb.state AS state_b,
         sa.seq IS NULL OR sb.seq IS NULL OR sa.callback <> sb.callback
           OR ${elide("coalesce(sa.message, '')")} <> ${elide("coalesce(sb.message, '')")} OR ${elide('sa.state')} <> ${elide('sb.state')} AS differs
  FROM sa FULL JOIN sb ON sa.pair = sb.pair AND sa.i = sb.i
),
counts AS (SELECT pair, count(a_seq) AS states_a, count(b_seq) AS states_b FROM j GROUP BY pair),
first AS (SELECT * FROM j WHERE differs QUALIFY row_number() OVER (PARTITION BY pair ORDER BY i) = 1)
SELECT p.role, p.ordinal, p.a_node, p.a_pid, p.b_node, p.b_pid, c.states_a, c.states_b,
       f.i AS first_diff, f.callback_a, f.callback_b, f.message_a, f.message_b, f.state_a, f.state_b,
       CASE WHEN f.i IS NULL THEN NULL WHEN f.a_seq IS NULL THEN 'only in B' WHEN f.b_seq IS NULL THEN 'only in A' ELSE 'differs' END AS change,
       NULL::VARCHAR AS diff, f.a_seq, f.b_seq
FROM pairs p JOIN counts c USING (pair) LEFT JOIN first f USING (pair)
ORDER BY change IS NULL, p.role, p.ordinal`;

/** Run in order after compare_shapes is filled. */
export const BUILD_COMPARE = [COMPARE_OVERRIDES, PROCS, MATCH, CALLS, MESSAGES, PROCESSES, RESTARTS, MAILBOX, ANOMALIES, STATES];

/** The tables a comparison makes (dropped when it is cleared). */
export const COMPARE_TABLES = [
  'compare_match',
  'compare_calls',
  'compare_messages',
  'compare_processes',
  'compare_restarts',
  'compare_mailbox',
  'compare_anomalies',
  'compare_states',
  'compare_shapes',
];
