/**
 * `anomalies`: things a user opening a trace wants pointed at, each with the
 * events that justify it (`anomaly_events`). Thresholds live in the `params`
 * table (defaults below, documented in docs/SCHEMA.md); change a value with
 * UPDATE and re-run REBUILD_ANOMALIES to recompute.
 */

import { DURATION_MACROS } from '../analyses/duration';
import { JOIN_REQUEST_EVENT, REQUEST_TARGET } from './call-groups';
import { IN_MAILBOX } from './system-at';

/** [name, default, meaning]: the thresholds the anomaly rules read. */
export const PARAM_DEFAULTS: [string, number, string][] = [
  ['slow_mad_k', 5, 'slow_callback / slow_call: how many robust standard deviations (1.4826 x MAD) above the median'],
  ['slow_min_samples', 5, 'slow_callback / slow_call: below this many samples only the absolute floor applies'],
  ['slow_callback_floor_ms', 5, 'slow_callback: never flag a callback faster than this'],
  ['slow_call_floor_ms', 10, 'slow_call: never flag a call faster than this'],
  ['restart_count', 3, 'restart_loop: restarts of one child within the window'],
  ['restart_window_ms', 5000, 'restart_loop: the window'],
  ['mailbox_threshold', 100, 'mailbox_growth: reconstructed queue length that counts as a flood'],
  ['state_growth_min_samples', 5, 'state_growth: states needed before judging a trend'],
  ['state_growth_ratio', 2, 'state_growth: last size / first size at least this'],
  ['state_growth_min_size', 20, 'state_growth: last size (term nodes) at least this'],
  ['state_growth_rising_fraction', 0.8, 'state_growth: share of size changes that were increases'],
];

export const PARAM_MACRO = `CREATE OR REPLACE MACRO param(n) AS (SELECT value FROM params WHERE name = n)`;

/**
 * The thresholds table (with its defaults if missing: a user's values stay) and its macro. They are made by the
 * anomalies step, or first by whoever needs them before it (Engine.setParams, a comparison), not at start-up:
 * DuckDB's `INSERT OR IGNORE` into a table with a primary key ran ~900 of DuckDB's functions no other start-up
 * statement runs, each compiled by the browser on its first call (about a quarter of Engine.create in a traced
 * Chromium start).
 */
export const CREATE_PARAMS = [
  `CREATE TABLE IF NOT EXISTS params (name VARCHAR PRIMARY KEY, value DOUBLE, meaning VARCHAR)`,
  `INSERT OR IGNORE INTO params VALUES ${PARAM_DEFAULTS.map(([n, v, m]) => `('${n}', ${v}, '${m.replace(/'/g, "''")}')`).join(', ')}`,
  PARAM_MACRO,
];

/**
 * An exit reason that is a crash: not `:normal`, `:shutdown` or `{:shutdown, _}`, nor `{ref, :return, result}`, how
 * the process erpc (and rpc, which runs on it) spawns for each remote call hands a result back to the calling node,
 * nor `{caller, ref, {replies, bad_nodes}}`, how the process `gen_server:multi_call` spawns for a call with a timeout
 * (OTP 25 and older) hands the replies back to its caller. The one definition the anomalies, the report, the
 * comparison and the process tree (isAbnormalExit) follow.
 */
export const ABNORMAL = (reason: string) =>
  `(${reason} NOT IN (':normal', ':shutdown') AND NOT starts_with(${reason}, '{:shutdown, ') AND NOT regexp_matches(${reason}, '^\\{#Reference<[0-9.]+>, :return, ')
  AND NOT regexp_matches(${reason}, '^\\{#PID<[0-9.]+>, #Reference<[0-9.]+>, \\{\\['))`;

/**
 * The processes killed by the one stopping them (node, pid, by_node, by_pid: the stopper, down_seq, unlink_seq), from
 * `schema`'s tables (`''`, `'main.'` or `'b.'`): the stopper unlinked the process and received its `:DOWN` with
 * `:killed`, how a supervisor stops a child (at `:brutal_kill`, or past its `shutdown` time) and how a Task's owner
 * stops its task (`Task.shutdown(task, :brutal_kill)`, an async stream's `on_timeout: :kill_task`: monitor, unlink,
 * `exit(pid, :kill)`). A stray `Process.exit(pid, :kill)` (or a `max_heap_size` kill) has no such stopper. The one
 * definition the `crash` anomaly (`info` or `warning` for such a kill), the report, the comparison and the process
 * tree follow (CRASHED).
 */
export const STOPPED_BY_STOPPER = (schema = '') => `
  SELECT m.from_node AS node, m.from_pid AS pid, any_value(m.to_node) AS by_node, any_value(m.to_pid) AS by_pid,
         min(m.recv_seq) AS down_seq, min(u.seq) AS unlink_seq
  FROM ${schema}messages m
  JOIN ${schema}events u ON u.kind = 'unlink' AND u.node = m.to_node AND u.pid = m.to_pid AND u.peer = m.from_pid AND u.peer_node = m.from_node
  WHERE m.status = 'signal' AND starts_with(m.msg, '{:DOWN, ') AND ends_with(m.msg, ', :killed}')
  GROUP BY m.from_node, m.from_pid`;

/**
 * An exit that is a crash at error level (the `crash` anomaly's `error` rows): an abnormal `reason` (ABNORMAL) other
 * than `:killed` by the process stopping it (STOPPED_BY_STOPPER), for the process (`node`, `pid`) of `schema`'s tables.
 */
export const CRASHED = (reason: string, node: string, pid: string, schema = '') =>
  `(${ABNORMAL(reason)} AND NOT (${reason} = ':killed' AND EXISTS (SELECT 1 FROM (SELECT node AS k_node, pid AS k_pid FROM (${STOPPED_BY_STOPPER(schema)})) WHERE k_node = ${node} AND k_pid = ${pid})))`;

/** How anomaly summaries name a process: its registered name, module or initial call, else its pid. */
const WHO = `who AS (SELECT node, pid, coalesce(name, module, CASE WHEN initial_call NOT LIKE ':proc_lib.%' THEN initial_call END, pid) AS label,
  name, module, exit_reason, exited_at FROM processes)`;

/** Who a call went to, as the anomalies name it (`c` a calls row, `w` its callee in who): its label, else where it went. */
const CALLEE_LABEL = `coalesce(w.label, c.callee_pid, ${REQUEST_TARGET}, '?')`;

/**
 * The slow rule of slow_callback and slow_call, over a `st` of (n, med, mad) per key: at least the floor, and either
 * too few samples to judge or more than k scaled MADs above the median.
 */
const slowOutlier = (duration: string, floorParam: string) =>
  `${duration} >= param('${floorParam}') * 1e6
  AND (st.n < param('slow_min_samples') OR ${duration} > st.med + param('slow_mad_k') * 1.4826 * st.mad)`;
/** " took 41.6 ms (median 1.15 ms over 12)" for the same `st`. */
const tookAgainstMedian = (duration: string) => `' took ' || duration_text(${duration}) || ' (median ' || duration_text(st.med) || ' over ' || st.n || ')'`;

/**
 * One statement per kind, each adding its rows (kind, severity, node, pid, ts, seq, summary, evidence: the events
 * that justify it) to `anomalies_all`, so each is timed on its own in the load's steps and can be run and tested
 * alone. docs/SCHEMA.md "anomalies" states each rule.
 */
export const ANOMALY_KINDS: readonly { kind: string; sql: string }[] = [
  {
    kind: 'crash',
    sql: `
INSERT INTO anomalies_all /* crash */
WITH
${WHO},
-- the last message and state of the crashed processes only: an ASOF join sorts all of its right side
crashed AS (SELECT DISTINCT node, pid FROM events WHERE kind = 'exit' AND ${ABNORMAL('term')}),
-- (not a \`receive ... after\` timing out: traced as a receive of :timeout, status after_timeout, it is no message)
recvs AS (SELECT e.node, e.pid, e.seq, e.term FROM events e SEMI JOIN crashed x ON x.node = e.node AND x.pid = e.pid
  ANTI JOIN (SELECT recv_seq FROM messages WHERE status = 'after_timeout') t ON t.recv_seq = e.seq WHERE e.kind = 'receive'),
took AS (SELECT c.node, c.pid, c.seq, c.msg FROM consumed c SEMI JOIN crashed x ON x.node = c.node AND x.pid = c.pid),
last_states AS (SELECT s.node, s.pid, s.seq, s.state FROM states s SEMI JOIN crashed x ON x.node = s.node AND x.pid = s.pid),
-- a process killed by the one stopping it (STOPPED_BY_STOPPER) ...
stopped AS (${STOPPED_BY_STOPPER()}),
-- ... after it asked the process to stop (an exit signal the process trapped: \`{:EXIT, stopper, :shutdown}\`) and
-- waited: it did not stop in time
asked AS (
  SELECT m.to_node AS node, m.to_pid AS pid, m.recv_seq FROM messages m
  SEMI JOIN stopped t ON t.node = m.to_node AND t.pid = m.to_pid AND t.by_pid = m.from_pid AND t.by_node = m.from_node
  WHERE m.status = 'signal' AND starts_with(m.msg, '{:EXIT, ')
)
SELECT 'crash' AS kind, CASE WHEN t.pid IS NULL THEN 'error' WHEN a.recv_seq IS NOT NULL THEN 'warning' ELSE 'info' END AS severity,
       e.node, e.pid, e.ts, e.seq,
       w.label || ' exited: ' || e.term
         || coalesce(', killed by ' || coalesce(bw.label, t.by_pid) || ' stopping it'
              || CASE WHEN a.recv_seq IS NOT NULL THEN ' (it had not exited within its shutdown time)' ELSE '' END, '')
         || coalesce('; last message: ' || coalesce(c.msg, r.term), '') || coalesce('; last state: ' || s.state, '') AS summary,
       list_filter([e.seq, coalesce(c.seq, r.seq), s.seq, t.unlink_seq, t.down_seq], x -> x IS NOT NULL) AS evidence
FROM events e
ASOF LEFT JOIN took c ON c.node = e.node AND c.pid = e.pid AND e.seq > c.seq
ASOF LEFT JOIN recvs r ON r.node = e.node AND r.pid = e.pid AND e.seq > r.seq
ASOF LEFT JOIN last_states s ON s.node = e.node AND s.pid = e.pid AND e.seq > s.seq
LEFT JOIN stopped t ON e.term = ':killed' AND t.node = e.node AND t.pid = e.pid
ASOF LEFT JOIN asked a ON a.node = e.node AND a.pid = e.pid AND e.seq > a.recv_seq
LEFT JOIN who w ON w.node = e.node AND w.pid = e.pid
LEFT JOIN who bw ON bw.node = t.by_node AND bw.pid = t.by_pid
WHERE e.kind = 'exit' AND ${ABNORMAL('e.term')}`,
  },
  {
    kind: 'restart_loop',
    sql: `
INSERT INTO anomalies_all /* restart_loop */
WITH
${WHO},
-- A supervisor restarts a child on its exit signal: a spawn after some other message (the last the parent received
-- before it: a call, as start_child or a Task.Supervisor's task; a remote call's reply, before the next spawn_request
-- of erpc) starts a new child, not a restart. (Without the parent's receives in the trace, every spawn may be one.)
-- Nor is a spawn from another node (a distributed spawn_request: erpc, Node.spawn), traced where the child runs, whose
-- parent pid the trace gives without its node.
sp AS (
  SELECT e.seq, e.ts, e.node, e.pid AS parent, e.peer AS child, coalesce(p.name, p.module, e.mfa || ' ' || e.term) AS child_key,
         p.exit_reason, p.exited_at, coalesce(NOT starts_with(r.term, '{:EXIT, '), false) AS not_on_exit,
         -- the instance whose exit signal the parent took just before: the one replaced, when it has the child's key
         -- (the first restart of a child spawned before the recording has no spawn before it to compare with)
         CASE WHEN coalesce(x.name, x.module) = coalesce(p.name, p.module) THEN x.exit_reason END AS exited_reason,
         CASE WHEN coalesce(x.name, x.module) = coalesce(p.name, p.module) THEN x.exited_at END AS exited_at_
  FROM (SELECT * FROM events WHERE kind = 'spawn' AND mfa IS DISTINCT FROM ':erts_internal.dist_spawn_init/1') e
  ASOF LEFT JOIN (SELECT node, pid, seq, term FROM events WHERE kind = 'receive') r ON r.node = e.node AND r.pid = e.pid AND r.seq < e.seq
  LEFT JOIN processes p ON p.node = e.peer_node AND p.pid = e.peer
  LEFT JOIN processes x ON x.node = e.node AND x.pid = '<' || regexp_extract(r.term, '^\\{:EXIT, #PID<([0-9.]+)>, ', 1) || '>'
),
sp2 AS (
  SELECT *, coalesce(lag(exit_reason) OVER g, exited_reason) AS prev_reason, coalesce(lag(exited_at) OVER g, exited_at_) AS prev_exited
  FROM sp WINDOW g AS (PARTITION BY node, parent, child_key ORDER BY seq)
),
restarts AS (SELECT * FROM sp2 WHERE NOT not_on_exit AND prev_exited IS NOT NULL AND prev_exited <= ts AND ${ABNORMAL('prev_reason')}),
rwin AS (
  SELECT a.seq, a.ts, a.node, a.parent, a.child_key, count(*) AS n, list(b.seq ORDER BY b.seq) AS ev
  FROM restarts a JOIN restarts b ON b.node = a.node AND b.parent = a.parent AND b.child_key = a.child_key
   AND b.ts <= a.ts AND b.ts >= a.ts - param('restart_window_ms') * 1e6
  GROUP BY ALL
)
SELECT 'restart_loop' AS kind, 'error' AS severity, any_value(r.node) AS node, r.parent AS pid,
       arg_min(r.ts, r.seq) AS ts, min(r.seq) AS seq,
       'child ' || r.child_key || ' restarted ' || max(r.n) || ' times within ' || duration_text(param('restart_window_ms') * 1e6) || ' by ' || any_value(w.label) AS summary,
       arg_max(r.ev, r.n) AS evidence
FROM rwin r LEFT JOIN who w ON w.node = r.node AND w.pid = r.parent
WHERE r.n >= param('restart_count')
GROUP BY r.node, r.parent, r.child_key`,
  },
  {
    kind: 'mailbox_growth',
    sql: `
INSERT INTO anomalies_all /* mailbox_growth */
WITH
${WHO},
-- The peak is the first row, in mailbox_depth's own order (ts, -delta, seq), that reached the maximum: ts and seq
-- from one row, whatever order the table's rows are stored in. The depth at the end is the sum of the changes: the
-- depth after the last one, which no ordering key can pick out (a message in and out at one event share ts and
-- seq; a receiver's exit empties its queue in rows that share all three).
peaking AS (SELECT node, pid FROM mailbox_depth GROUP BY node, pid HAVING max(depth) >= param('mailbox_threshold')),
peak AS (
  SELECT node, pid, max_depth, pk.ts AS ts, pk.seq AS seq, end_depth
  FROM (
    SELECT d.node, d.pid, max(d.depth) AS max_depth, arg_min({'ts': d.ts, 'seq': d.seq}, (-d.depth, d.ts, -d.delta, d.seq)) AS pk,
           sum(d.delta)::BIGINT AS end_depth
    FROM mailbox_depth d SEMI JOIN peaking k ON k.node = d.node AND k.pid = d.pid
    GROUP BY d.node, d.pid
  )
),
queued AS (
  SELECT k.node, k.pid, m.from_pid, m.send_seq, m.sent_at
  FROM peak k JOIN messages m ON m.to_node = k.node AND m.to_pid = k.pid
  LEFT JOIN processes p ON p.node = m.to_node AND p.pid = m.to_pid
  WHERE m.status IN ${IN_MAILBOX}
    AND coalesce(m.sent_at, m.received_at) <= k.ts AND (m.taken_at IS NULL OR m.taken_at > k.ts)
),
producers AS (
  SELECT node, pid, string_agg(coalesce(from_pid, '?') || ' x' || n, ', ' ORDER BY n DESC, from_pid) AS who, list(first_seqs) AS seqs
  FROM (SELECT node, pid, from_pid, count(*) AS n, list(send_seq ORDER BY send_seq)[1:20] AS first_seqs FROM queued GROUP BY ALL)
  GROUP BY node, pid
)
SELECT 'mailbox_growth' AS kind, CASE WHEN k.end_depth >= param('mailbox_threshold') THEN 'error' ELSE 'warning' END AS severity,
       k.node, k.pid, k.ts, k.seq,
       w.label || ' mailbox reached ' || k.max_depth || ' messages (' || k.end_depth || ' at the end); producers: ' || coalesce(pr.who, '?') AS summary,
       list_filter(flatten(coalesce(pr.seqs, [])), x -> x IS NOT NULL) AS evidence
FROM peak k LEFT JOIN producers pr USING (node, pid) LEFT JOIN who w USING (node, pid)`,
  },
  {
    kind: 'slow_callback',
    sql: `
INSERT INTO anomalies_all /* slow_callback */
WITH
cb AS (
  SELECT sp.node, sp.pid, sp.mfa, sp.started_at, sp.call_seq, sp.end_seq, sp.duration_ns FROM spans sp WHERE sp.outcome IN ('return', 'exception')
    AND (sp.end_seq IN (SELECT seq FROM states) OR sp.call_seq IN (SELECT seq FROM consumed))
),
cb_stats AS (SELECT mfa, count(*) AS n, median(duration_ns) AS med, mad(duration_ns) AS mad FROM cb GROUP BY mfa)
SELECT 'slow_callback' AS kind, 'warning' AS severity, c.node, c.pid, c.started_at AS ts, c.call_seq AS seq,
       c.mfa || ${tookAgainstMedian('c.duration_ns')} AS summary,
       [c.call_seq, c.end_seq] AS evidence
FROM cb c JOIN cb_stats st USING (mfa)
WHERE ${slowOutlier('c.duration_ns', 'slow_callback_floor_ms')}`,
  },
  {
    kind: 'slow_call',
    sql: `
INSERT INTO anomalies_all /* slow_call */
WITH
${WHO},
-- Only the columns used below: DuckDB materialises a CTE read twice, and every column of calls (its texts) held
-- there set DuckDB-WASM's peak memory on a 5M-event load.
ck AS (
  SELECT c.caller_node, c.caller_pid, c.sent_at, c.call_seq, c.request_recv_seq, c.reply_seq, c.reply_recv_seq, c.latency_ns,
         coalesce(w.name, w.module, c.callee_pid) || ' ' || coalesce(regexp_extract(c.request, '^[{%]?([^,{}() ]+)', 1), c.request) AS key
  FROM calls c LEFT JOIN who w ON w.node = c.callee_node AND w.pid = c.callee_pid
  WHERE c.outcome = 'reply' AND c.latency_ns IS NOT NULL
),
ck_stats AS (SELECT key, count(*) AS n, median(latency_ns) AS med, mad(latency_ns) AS mad FROM ck GROUP BY key)
SELECT 'slow_call' AS kind, 'warning' AS severity, c.caller_node AS node, c.caller_pid AS pid, c.sent_at AS ts, c.call_seq AS seq,
       'call ' || c.key || ${tookAgainstMedian('c.latency_ns')} AS summary,
       list_filter([c.call_seq, c.request_recv_seq, c.reply_seq, c.reply_recv_seq], x -> x IS NOT NULL) AS evidence
FROM ck c JOIN ck_stats st USING (key)
WHERE ${slowOutlier('c.latency_ns', 'slow_call_floor_ms')}`,
  },
  {
    kind: 'call_timeout',
    sql: `
INSERT INTO anomalies_all /* call_timeout */
WITH
${WHO}
SELECT 'call_timeout' AS kind, 'error' AS severity, c.caller_node AS node, c.caller_pid AS pid, c.sent_at AS ts, c.call_seq AS seq,
       'call to ' || ${CALLEE_LABEL} || ' ' || c.request || CASE WHEN lost.recv_seq IS NULL THEN ' timed out' ELSE ' gave up' END
         || coalesce(' after ' || duration_text(c.latency_ns), '') || CASE WHEN c.reply_seq IS NOT NULL THEN ' (the reply came late)' ELSE '' END
         || CASE WHEN lost.recv_seq IS NOT NULL THEN ': the connection to the callee''s node was lost' ELSE '' END AS summary,
       list_filter([c.call_seq, c.request_recv_seq, c.reply_seq, lost.recv_seq], x -> x IS NOT NULL) AS evidence
FROM calls c LEFT JOIN who w ON w.node = c.callee_node AND w.pid = c.callee_pid ${JOIN_REQUEST_EVENT}
-- gen:call's monitor said :noconnection (the caller exits with {:nodedown, node}): a lost connection, not a timeout
LEFT JOIN (SELECT to_node, to_pid, msg, min(recv_seq) AS recv_seq FROM messages
           WHERE status = 'signal' AND starts_with(msg, '{:DOWN, ') AND ends_with(msg, ', :noconnection}') GROUP BY ALL) lost
  ON lost.to_node = c.caller_node AND lost.to_pid = c.caller_pid AND starts_with(lost.msg, '{:DOWN, ' || c.tag || ', :process, ')
WHERE c.outcome = 'timeout'`,
  },
  {
    kind: 'call_unanswered',
    sql: `
INSERT INTO anomalies_all /* call_unanswered */
WITH
${WHO}
SELECT 'call_unanswered' AS kind, CASE WHEN c.outcome = 'pending' THEN 'warning' ELSE 'error' END AS severity,
       c.caller_node AS node, c.caller_pid AS pid, c.sent_at AS ts, c.call_seq AS seq,
       'call to ' || ${CALLEE_LABEL} || ' ' || c.request || ' never returned: '
         || CASE c.outcome WHEN 'pending' THEN 'still waiting when the trace ended'
                           WHEN 'callee_exit' THEN CASE WHEN w.exited_at < c.sent_at THEN 'the callee had already exited' ELSE 'the callee exited' END
                           ELSE 'the caller exited' END AS summary,
       list_filter([c.call_seq, c.request_recv_seq], x -> x IS NOT NULL) AS evidence
FROM calls c LEFT JOIN who w ON w.node = c.callee_node AND w.pid = c.callee_pid ${JOIN_REQUEST_EVENT}
WHERE c.outcome IN ('pending', 'callee_exit', 'caller_exit')`,
  },
  {
    kind: 'send_to_dead',
    sql: `
INSERT INTO anomalies_all /* send_to_dead */
SELECT 'send_to_dead' AS kind, 'warning' AS severity, e.node, e.pid, e.ts, e.seq,
       'sent to dead ' || e.peer || ': ' || e.term AS summary, [e.seq] AS evidence
FROM events e WHERE e.kind = 'send_to_dead'`,
  },
  {
    kind: 'state_growth',
    sql: `
INSERT INTO anomalies_all /* state_growth */
WITH
${WHO},
sg AS (
  SELECT node, pid, count(*) AS n, arg_min(state_size, seq) AS first_size, arg_max(state_size, seq) AS last_size,
         arg_min(seq, seq) AS first_seq, max(seq) AS last_seq, arg_max(ts, seq) AS last_ts,
         count(*) FILTER (WHERE d > 0) AS ups, count(*) FILTER (WHERE d <> 0) AS changes
  FROM (SELECT *, state_size - lag(state_size) OVER (PARTITION BY node, pid ORDER BY seq) AS d FROM states)
  GROUP BY node, pid
)
SELECT 'state_growth' AS kind, 'warning' AS severity, g.node, g.pid, g.last_ts AS ts, g.last_seq AS seq,
       w.label || ' state grew from ' || g.first_size || ' to ' || g.last_size || ' term nodes over ' || g.n || ' states' AS summary,
       [g.first_seq, g.last_seq] AS evidence
FROM sg g LEFT JOIN who w USING (node, pid)
WHERE g.n >= param('state_growth_min_samples') AND g.last_size >= param('state_growth_min_size')
  AND g.last_size >= param('state_growth_ratio') * g.first_size AND g.ups >= param('state_growth_rising_fraction') * g.changes`,
  },
  {
    kind: 'orphan_reply',
    sql: `
INSERT INTO anomalies_all /* orphan_reply */
SELECT 'orphan_reply' AS kind, 'warning' AS severity, e.node, e.pid, e.ts, e.seq,
       'reply ' || coalesce(c.reply, '') || ' sent after ' || c.caller_pid || ' gave up on ' || c.request AS summary,
       [c.reply_seq, c.call_seq] AS evidence
FROM calls c JOIN events e ON e.seq = c.reply_seq
WHERE c.outcome = 'timeout'`,
  },
  {
    kind: 'unconsumed',
    sql: `
INSERT INTO anomalies_all /* unconsumed */
WITH
${WHO}
SELECT 'unconsumed' AS kind, CASE WHEN count(*) FILTER (WHERE m.status = 'queued_at_end') > 0 THEN 'warning' ELSE 'info' END AS severity,
       m.to_node AS node, m.to_pid AS pid, min(m.sent_at) AS ts, min(m.send_seq) AS seq,
       any_value(w.label) || ' never took ' || count(*) || ' message(s): '
         || count(*) FILTER (WHERE m.status = 'queued_at_end') || ' still queued at the end, '
         || count(*) FILTER (WHERE m.status = 'receiver_exited') || ' lost when it exited; first: ' || arg_min(m.msg, m.send_seq) AS summary,
       list(m.send_seq ORDER BY m.send_seq)[1:50] AS evidence
FROM messages m LEFT JOIN who w ON w.node = m.to_node AND w.pid = m.to_pid
WHERE m.status IN ('queued_at_end', 'receiver_exited')
GROUP BY m.to_node, m.to_pid`,
  },
];

export const CREATE_ANOMALIES_ALL = `
CREATE OR REPLACE TEMP TABLE anomalies_all (kind VARCHAR, severity VARCHAR, node VARCHAR, pid VARCHAR, ts BIGINT, seq BIGINT, summary VARCHAR, evidence BIGINT[])`;

export const NUMBER_ANOMALIES = `
CREATE OR REPLACE TEMP TABLE anomalies_n AS
SELECT (row_number() OVER (ORDER BY ts, seq, kind, pid, summary) - 1)::BIGINT AS anomaly_id, * FROM anomalies_all`;

export const BUILD_ANOMALIES = `
CREATE OR REPLACE TABLE anomalies AS
SELECT anomaly_id, kind, severity, node, pid, ts, seq::BIGINT AS seq, summary, len(evidence)::INTEGER AS evidence_count
FROM anomalies_n
ORDER BY anomaly_id`;

export const BUILD_ANOMALY_EVENTS = `
CREATE OR REPLACE TABLE anomaly_events AS
SELECT DISTINCT anomaly_id, unnest(evidence)::BIGINT AS seq FROM anomalies_n
ORDER BY anomaly_id, seq`;

/** Recomputes the anomalies (e.g. after UPDATE params). */
export const REBUILD_ANOMALIES = [
  CREATE_ANOMALIES_ALL,
  ...ANOMALY_KINDS.map((k) => k.sql),
  NUMBER_ANOMALIES,
  BUILD_ANOMALIES,
  BUILD_ANOMALY_EVENTS,
  'DROP TABLE anomalies_n',
  'DROP TABLE anomalies_all',
];

// Durations in the summaries read as the views write them (src/engine/analyses/duration.ts).
export const BUILD_ANOMALIES_STEPS = [...DURATION_MACROS, ...CREATE_PARAMS, ...REBUILD_ANOMALIES];
