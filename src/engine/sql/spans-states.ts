/**
 * Call spans (each traced call paired with its return or exception) and the
 * GenServer / gen_statem state tables built on them. Runs after the core
 * tables (build.ts) because states link to the message each callback took.
 */

/**
 * `spans`: a call's depth is the number of its process's calls still open
 * when it starts, so within one (process, depth) calls and their returns
 * alternate; a call pairs with the next row at its depth when that row is
 * the return or exception of the same function. Self time subtracts the
 * spans one level deeper that ran inside (their parent is found with an
 * ASOF join: the latest call one level up that started before them).
 */
export const BUILD_SPANS = `
CREATE OR REPLACE TABLE spans AS
-- Narrow rows through the windows and the ASOF join: the process as one 64-bit hash of (node, pid), the function as a
-- hash, no argument or result text; the texts join back by seq at the end. Carrying them through the window sorts
-- took ~5x the memory of the finished table, and sorting on the text keys ~15% more time at 1M events (two
-- processes would have to collide for a stack to go wrong).
WITH f AS (
  SELECT seq, ts, hash(node, pid) AS ph, kind, hash(mfa) AS mh,
         sum(CASE WHEN kind = 'call' THEN 1 ELSE -1 END) OVER (PARTITION BY hash(node, pid) ORDER BY seq ROWS UNBOUNDED PRECEDING) AS level
  FROM events WHERE kind IN ('call', 'return', 'exception')
),
g AS (SELECT seq, ts, ph, kind, mh, CAST(CASE WHEN kind = 'call' THEN level - 1 ELSE level END AS INTEGER) AS depth FROM f),
h AS (
  SELECT *, lead(seq) OVER w AS n_seq, lead(kind) OVER w AS n_kind, lead(ts) OVER w AS n_ts, lead(mh) OVER w AS n_mh
  FROM g WINDOW w AS (PARTITION BY ph, depth ORDER BY seq)
),
s AS (
  SELECT ph, depth, seq AS call_seq, ts AS started_at,
         CASE WHEN n_kind IN ('return', 'exception') AND n_mh = mh THEN n_seq END AS end_seq,
         CASE WHEN n_kind IN ('return', 'exception') AND n_mh = mh THEN n_ts END AS ended_at,
         CASE WHEN n_kind IN ('return', 'exception') AND n_mh = mh THEN n_kind ELSE 'unfinished' END AS outcome
  FROM h WHERE kind = 'call'
),
parented AS (
  SELECT c.call_seq, p.call_seq AS parent_seq, p.end_seq AS parent_end
  FROM s c ASOF JOIN s p ON p.ph = c.ph AND p.depth = c.depth - 1 AND c.call_seq > p.call_seq
),
children AS (
  SELECT x.parent_seq AS call_seq, sum(c.ended_at - c.started_at) AS child_ns
  FROM parented x JOIN s c ON c.call_seq = x.call_seq
  WHERE x.parent_end IS NULL OR x.parent_end > x.call_seq
  GROUP BY x.parent_seq
)
SELECT ec.node, ec.pid, ec.mfa, s.depth, s.call_seq, s.end_seq, s.started_at, s.ended_at,
       s.ended_at - s.started_at AS duration_ns,
       (s.ended_at - s.started_at - coalesce(ch.child_ns, 0))::BIGINT AS self_ns,
       s.outcome, ec.term AS args, er.term AS result,
       CASE WHEN x.parent_end IS NULL OR x.parent_end > s.call_seq THEN x.parent_seq END AS parent_seq
FROM s
JOIN (SELECT seq, node, pid, mfa, term FROM events WHERE kind = 'call') ec ON ec.seq = s.call_seq
LEFT JOIN (SELECT seq, term FROM events WHERE kind IN ('return', 'exception')) er ON er.seq = s.end_seq
LEFT JOIN children ch ON ch.call_seq = s.call_seq
LEFT JOIN parented x ON x.call_seq = s.call_seq
ORDER BY s.call_seq`;

/**
 * `states`: the state after every callback, joined to its return event, the
 * callback's call event and the message it took; `until_ts` is when the next
 * state (or the process's exit) replaced it, so "the state at t" is a range
 * predicate. `origin` says what the state followed from, so no view has to
 * guess from the callback name (init's `message` is its argument, not a
 * message it handled). A state the recorder read (`get_state`) was read at
 * start, or later at intervals (`sampled`, a `state` event whose function is
 * `get_state/1`: a process whose state was too big to trace its callbacks).
 */
export const BUILD_STATES = `
CREATE OR REPLACE TABLE states AS
WITH b AS (
  SELECT pid, ts, seq, callback, message, state, state_size, node FROM states_raw
)
SELECT b.pid, b.ts, b.seq, b.callback, b.message, b.state, b.state_size, b.node,
       sp.call_seq, m.recv_seq, m.send_seq,
       CASE
         WHEN b.callback = 'get_state' AND ends_with(rs.mfa, '.get_state/1') THEN 'sampled'
         WHEN b.callback = 'get_state' THEN 'read_at_start'
         WHEN b.callback = 'init' THEN 'initial'
         WHEN m.recv_seq IS NOT NULL THEN 'message'
         WHEN b.callback = 'handle_continue' THEN 'continue'
         WHEN b.callback = 'code_change' THEN 'code_change'
         WHEN b.message = ':timeout' OR starts_with(b.message, '{:timeout, ') OR starts_with(b.message, '{:state_timeout, ')
           OR starts_with(b.message, '{{:timeout, ') THEN 'timeout'
         WHEN starts_with(b.message, '{:internal, ') THEN 'internal'
         ELSE 'message'
       END AS origin,
       coalesce(lead(b.ts) OVER (PARTITION BY b.node, b.pid ORDER BY b.seq),
                CASE WHEN p.exited_at >= b.ts THEN p.exited_at END) AS until_ts
FROM b
LEFT JOIN spans sp ON sp.end_seq = b.seq
LEFT JOIN messages m ON m.consumed_seq = sp.call_seq
LEFT JOIN processes p ON p.node = b.node AND p.pid = b.pid
LEFT JOIN (SELECT seq, mfa FROM events WHERE kind = 'state') rs ON rs.seq = b.seq
ORDER BY b.seq`;

/** `state_changes`: structural differences between consecutive states of a process, computed at ingest. */
export const BUILD_STATE_CHANGES = `
CREATE OR REPLACE TABLE state_changes AS
SELECT pid, seq, ts, path, change, before, after, node
FROM state_changes_raw
ORDER BY seq, path`;

export const BUILD_SPANS_STATES = [BUILD_SPANS, BUILD_STATES, BUILD_STATE_CHANGES];
