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
 *
 * Raw traces hold calls that never return and returns with no call: a
 * function traced without `return_trace` (a plain `dbg:tpl(M, [])`) has no
 * return anywhere, so its calls open no level (else a process's every call
 * sat one deeper than the one before, thousands deep), except an `init/1`
 * whose module's functions return somewhere: the module is traced with
 * returns, and its `init/1` entered the server's loop
 * (`gen_server:enter_loop`, `gen_statem:enter_loop`: inets' and ssl's
 * connection processes) and never returns, its callbacks running inside it;
 * and a return whose call
 * was not traced (`{message, false}`, a wrap set that lost its start, a trace
 * begun inside the call) closes none: the level never goes below 0 (the
 * running sum, less its lowest point so far when that is negative). Such a
 * call is `no_return`: an instant whose duration the trace cannot tell (no
 * `ended_at`), never `in_drop` (nothing of its function returns anywhere:
 * its tracing asked for no returns, not the drops). Not on a node an otpscope
 * archive recorded: the recorder traces every function with `return_trace`,
 * so a call with no return there was still running (`unfinished`, `untraced`
 * or `in_drop`). Only the recorder reads states (`untraced`), so that
 * update reads both.
 *
 * A call with no return whose process's state the recorder read later
 * (`sampled`: its calls were no longer traced) is `untraced`, ended at that
 * read: a state read is answered between callbacks, so it had returned.
 */
export const BUILD_SPANS = [
  // Narrow rows through the windows and the ASOF join: the process as one 64-bit hash of (node, pid), the function as
  // a hash, no argument or result text; the texts join back by seq at the end. Carrying them through the window sorts
  // took ~5x the memory of the finished table, and sorting on the text keys ~15% more time at 1M events (two
  // processes would have to collide for a stack to go wrong). One big join per statement: DuckDB spills one join's
  // hash table past its memory limit, not those of several in one pipeline (the texts of calls and of returns joined
  // in one statement ran out of memory at 200k events under 48 MB).
  // The event's kind as a one-byte code through the windows (0 call, 1 return, 2 exception), not its text.
  `CREATE OR REPLACE TEMP TABLE span_s AS
WITH e AS (
  SELECT seq, ts, hash(node, pid) AS ph, CASE kind WHEN 'call' THEN 0 WHEN 'return' THEN 1 ELSE 2 END::UTINYINT AS k, hash(mfa) AS mh
  FROM events WHERE kind IN ('call', 'return', 'exception')
),
r AS (SELECT DISTINCT mh FROM e WHERE k > 0),
fm AS (
  SELECT is_call, mfa, regexp_extract(mfa, '^(.+)\\.[^.]*/[0-9]+$', 1) AS modn
  FROM (SELECT DISTINCT kind = 'call' AS is_call, mfa FROM events WHERE kind IN ('call', 'return', 'exception'))
),
rm AS (SELECT hash(mfa) AS mh FROM fm WHERE is_call AND ends_with(mfa, '.init/1') AND modn IN (SELECT modn FROM fm WHERE NOT is_call)),
d AS (SELECT e.*, k > 0 OR mh IN (SELECT mh FROM r) OR mh IN (SELECT mh FROM rm) AS opens FROM e),
s AS (SELECT *, sum(CASE WHEN k > 0 THEN -1 WHEN opens THEN 1 ELSE 0 END) OVER (PARTITION BY ph ORDER BY seq ROWS UNBOUNDED PRECEDING) AS raw FROM d),
f AS (SELECT *, raw - least(0, min(raw) OVER (PARTITION BY ph ORDER BY seq ROWS UNBOUNDED PRECEDING)) AS level FROM s),
g AS (SELECT seq, ts, ph, k, mh, opens, CAST(CASE WHEN k = 0 AND opens THEN level - 1 ELSE level END AS INTEGER) AS depth FROM f),
h AS (
  SELECT *, lead(seq) OVER w AS n_seq, lead(k) OVER w AS n_k, lead(ts) OVER w AS n_ts, lead(mh) OVER w AS n_mh
  FROM g WINDOW w AS (PARTITION BY ph, depth ORDER BY seq)
)
SELECT ph, depth, seq AS call_seq, ts AS started_at,
       CASE WHEN n_k > 0 AND n_mh = mh THEN n_seq END AS end_seq,
       CASE WHEN n_k > 0 AND n_mh = mh THEN n_ts END AS ended_at,
       CASE WHEN n_k > 0 AND n_mh = mh THEN CASE n_k WHEN 1 THEN 'return' ELSE 'exception' END WHEN opens THEN 'unfinished' ELSE 'no_return' END AS outcome
FROM h WHERE k = 0`,
  // A call left open because the recorder stopped tracing its process's calls (a state too big to copy, read at
  // intervals from then on: Otpscope.Tracer huge/3) had returned by the next read of that state, which the process
  // answered from its receive loop: it ends there. Few rows: only the calls with no return are joined.
  `UPDATE span_s SET ended_at = r.ts, outcome = 'untraced'
FROM (
  SELECT u.call_seq, r.ts
  FROM (SELECT ph, call_seq FROM span_s WHERE outcome IN ('unfinished', 'no_return')) u
  ASOF JOIN (SELECT hash(node, pid) AS ph, seq, ts FROM events WHERE kind = 'state' AND ends_with(mfa, '.get_state/1')) r
    ON r.ph = u.ph AND u.call_seq < r.seq
) r
WHERE span_s.call_seq = r.call_seq`,
  // Each span's parent (the latest call one level up that started before it, if still open), then its self time.
  `CREATE OR REPLACE TEMP TABLE span_p AS
SELECT c.call_seq, c.started_at, c.ended_at, CASE WHEN p.end_seq IS NULL OR p.end_seq > c.call_seq THEN p.call_seq END AS parent_seq
FROM span_s c ASOF JOIN span_s p ON p.ph = c.ph AND p.depth = c.depth - 1 AND c.call_seq > p.call_seq`,
  `CREATE OR REPLACE TEMP TABLE span_n AS
WITH children AS (
  SELECT parent_seq AS call_seq, sum(ended_at - started_at) AS child_ns FROM span_p WHERE parent_seq IS NOT NULL GROUP BY parent_seq
)
SELECT s.depth, s.call_seq, s.end_seq, s.started_at, s.ended_at, s.outcome, ch.child_ns
FROM span_s s LEFT JOIN children ch ON ch.call_seq = s.call_seq`,
  'DROP TABLE span_s',
  `CREATE OR REPLACE TEMP TABLE span_x AS
SELECT s.*, x.parent_seq FROM span_n s LEFT JOIN span_p x ON x.call_seq = s.call_seq`,
  'DROP TABLE span_n',
  'DROP TABLE span_p',
  // An ordinary table (compressed), which DuckDB-WASM builds one range of events at a time (BUILD_IN_EVENT_RANGES):
  // as a temporary table built in one statement, every call's argument text was held uncompressed at once, and set the
  // load's peak memory at 5M ping-pong events.
  `CREATE OR REPLACE TABLE span_a AS
SELECT s.*, ec.node, ec.pid, ec.mfa, ec.term AS args
FROM span_x s JOIN (SELECT seq, node, pid, mfa, term FROM events WHERE kind = 'call') ec ON ec.seq = s.call_seq`,
  'DROP TABLE span_x',
  `CREATE OR REPLACE TABLE spans AS
SELECT s.node, s.pid, s.mfa, s.depth, s.call_seq, s.end_seq, s.started_at, s.ended_at,
       s.ended_at - s.started_at AS duration_ns,
       (s.ended_at - s.started_at - coalesce(s.child_ns, 0))::BIGINT AS self_ns,
       CASE WHEN s.outcome = 'no_return' AND s.node IN (SELECT node FROM meta WHERE key = 'format' AND value = 'otpscope') THEN 'unfinished' ELSE s.outcome END AS outcome,
       s.args, er.term AS result, s.parent_seq
FROM span_a s
LEFT JOIN (SELECT seq, term FROM events WHERE kind IN ('return', 'exception')) er ON er.seq = s.end_seq
ORDER BY s.call_seq`,
  'DROP TABLE span_a',
];

/**
 * A call with no return is `in_drop` when the recorder dropped events on its node while it ran (a `drops` window that
 * ends after the call began and begins before its process's exit): its return may be among them (docs/SCHEMA.md
 * \`spans\`). It ends where the first such window begins (the call ran at least that long, the rest is unknown), and
 * its own `self_ns` is NULL. Its level closes there too: the pairing left it open (nothing showed the return), so its
 * process's calls that started after that point sat one level deeper, as its children; they move up one level per
 * such call still open below them (no call between at its depth or above), their parent found again as the pairing
 * finds it (the latest call one level up still open, an `in_drop` call no longer after its end), and the self time of
 * each span whose children changed (an `in_drop` call's parent, a moved call's parents) is its duration less its
 * children's. Pairings stand: a return after the drop is
 * paired as it was. Run on the finished table (\`table\`), by the SQL build and after the streaming pass alike, as
 * markInDrop is on \`messages\`: few rows, only processes with such a call.
 */
export function markSpansInDrop(table = 'spans'): string[] {
  // Only the rows after the first in_drop call can move: a number compared before any text, so a load with no such
  // call (nearly all) reads no more than a column of numbers (NULL: no row passes).
  const after = (t: string) => `${t}.call_seq > (SELECT min(call_seq) FROM span_shut)`;
  return [
    `UPDATE ${table} SET outcome = 'in_drop', ended_at = x.until, duration_ns = x.until - ${table}.started_at, self_ns = NULL
FROM (
  SELECT s.call_seq, min(greatest(d.from_ts, s.started_at)) AS until
  FROM ${table} s JOIN drops d ON d.node = s.node AND d.to_ts >= s.started_at
  LEFT JOIN processes p ON p.node = s.node AND p.pid = s.pid
  WHERE s.outcome = 'unfinished' AND (p.exited_at IS NULL OR d.from_ts <= p.exited_at)
  GROUP BY s.call_seq
) x
WHERE ${table}.call_seq = x.call_seq`,
    `CREATE OR REPLACE TEMP TABLE span_shut AS
SELECT node, pid, call_seq, depth, ended_at, parent_seq FROM ${table} WHERE outcome = 'in_drop'`,
    // The calls each in_drop call's close moves: after its end and before the first call at its depth or above
    // (its level had closed by then), one level up per such call below them; with their parent as the pairing left it.
    `CREATE OR REPLACE TEMP TABLE span_moved AS
WITH u AS (
  SELECT c.call_seq, c.node, c.pid, c.depth, c.ended_at, coalesce(min(n.call_seq), 9223372036854775807) AS until_seq
  FROM span_shut c LEFT JOIN (SELECT node, pid, call_seq, depth FROM ${table} WHERE ${after(table)}) n
    ON n.node = c.node AND n.pid = c.pid AND n.call_seq > c.call_seq AND n.depth <= c.depth
  GROUP BY ALL
)
SELECT s.call_seq, s.node, s.pid, s.started_at, s.parent_seq AS old_parent, (s.depth - count(*))::INTEGER AS depth
FROM (SELECT call_seq, node, pid, started_at, parent_seq, depth FROM ${table} WHERE ${after(table)}) s
JOIN u c ON c.node = s.node AND c.pid = s.pid
 AND s.call_seq > c.call_seq AND s.call_seq < c.until_seq AND s.depth > c.depth AND s.started_at > c.ended_at
GROUP BY s.call_seq, s.node, s.pid, s.started_at, s.parent_seq, s.depth`,
    `UPDATE ${table} SET depth = m.depth FROM span_moved m WHERE ${table}.call_seq = m.call_seq`,
    `UPDATE ${table} SET parent_seq = x.parent_seq
FROM (
  SELECT m.call_seq,
         CASE WHEN p.end_seq > m.call_seq OR (p.end_seq IS NULL AND NOT (p.outcome = 'in_drop' AND p.ended_at < m.started_at)) THEN p.call_seq END AS parent_seq
  FROM span_moved m
  ASOF LEFT JOIN (SELECT node, pid, depth, call_seq, end_seq, outcome, ended_at FROM ${table}
                   WHERE call_seq < (SELECT max(call_seq) FROM span_moved) AND outcome <> 'no_return'
                     AND hash(node, pid) IN (SELECT hash(node, pid) FROM span_moved)) p
    ON p.node = m.node AND p.pid = m.pid AND p.depth = m.depth - 1 AND m.call_seq > p.call_seq
) x
WHERE ${table}.call_seq = x.call_seq`,
    // The self time of every span whose children changed: the in_drop calls' parents (their time is no longer
    // their parent's own), and the moved calls' parents before and after.
    `CREATE OR REPLACE TEMP TABLE span_fix AS
SELECT parent_seq AS call_seq FROM span_shut WHERE parent_seq IS NOT NULL
UNION SELECT old_parent FROM span_moved WHERE old_parent IS NOT NULL
UNION SELECT parent_seq FROM ${table} WHERE call_seq IN (SELECT call_seq FROM span_moved) AND parent_seq IS NOT NULL`,
    `UPDATE ${table} SET self_ns = ${table}.duration_ns - coalesce(c.ns, 0)
FROM (
  SELECT f.call_seq, ch.ns FROM span_fix f
  LEFT JOIN (SELECT parent_seq, sum(duration_ns)::BIGINT AS ns FROM ${table} WHERE parent_seq IN (SELECT call_seq FROM span_fix) GROUP BY parent_seq) ch
    ON ch.parent_seq = f.call_seq
) c
WHERE ${table}.call_seq = c.call_seq AND ${table}.self_ns IS NOT NULL`,
    'DROP TABLE span_shut',
    'DROP TABLE span_moved',
    'DROP TABLE span_fix',
  ];
}

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
export const BUILD_STATES = [
  // What each state row needs of every other row and of the other tables, as narrow rows keyed by seq: the next
  // state's time through a window over (process hash, seq, ts) only, the callback's span, the message it took and
  // whether the recorder sampled it. The window over the rows with their texts (callback, message, state) held
  // every state text at once and set DuckDB-WASM's peak memory at 5M ping-pong events; the texts now join back by seq
  // in the last statement, which DuckDB-WASM runs one range of events at a time (BUILD_IN_EVENT_RANGES). (Two
  // processes would have to collide in the hash for a state to end at another process's state.)
  `CREATE OR REPLACE TABLE state_n AS
WITH b AS (
  SELECT s.seq, s.ts, hash(s.node, s.pid) AS ph, p.exited_at
  FROM states_raw s LEFT JOIN processes p ON p.node = s.node AND p.pid = s.pid
),
u AS (SELECT seq, ts, exited_at, lead(ts) OVER (PARTITION BY ph ORDER BY seq) AS next_ts FROM b)
SELECT u.seq, coalesce(u.next_ts, CASE WHEN u.exited_at >= u.ts THEN u.exited_at END) AS until_ts,
       sp.call_seq, m.recv_seq, m.send_seq, ends_with(rs.mfa, '.get_state/1') AS sampled
FROM u
LEFT JOIN (SELECT end_seq, call_seq FROM spans WHERE end_seq IS NOT NULL) sp ON sp.end_seq = u.seq
LEFT JOIN (SELECT consumed_seq, recv_seq, send_seq FROM messages WHERE consumed_seq IS NOT NULL) m ON m.consumed_seq = sp.call_seq
LEFT JOIN (SELECT seq, mfa FROM events WHERE kind = 'state') rs ON rs.seq = u.seq`,
  `CREATE OR REPLACE TABLE states AS
SELECT b.pid, b.ts, b.seq, b.callback, b.message, b.state, b.state_size, b.node,
       n.call_seq, n.recv_seq, n.send_seq,
       CASE
         WHEN b.callback = 'get_state' AND n.sampled THEN 'sampled'
         WHEN b.callback = 'get_state' THEN 'read_at_start'
         WHEN b.callback = 'init' THEN 'initial'
         WHEN n.recv_seq IS NOT NULL THEN 'message'
         -- a gen_statem event run from its own queue: one it postponed (its message taken by the callback that
         -- postponed it), or one a callback inserted with next_event (no message behind it, whatever its type)
         WHEN b.queued = 'postponed' THEN 'postponed'
         WHEN b.queued = 'inserted' THEN 'internal'
         WHEN b.callback = 'handle_continue' THEN 'continue'
         WHEN b.callback = 'code_change' THEN 'code_change'
         WHEN b.callback = 'replace_state' THEN 'replaced'
         WHEN b.message = ':timeout' OR starts_with(b.message, '{:timeout, ') OR starts_with(b.message, '{:state_timeout, ')
           OR starts_with(b.message, '{{:timeout, ') THEN 'timeout'
         WHEN starts_with(b.message, '{:internal, ') THEN 'internal'
         -- a gen_statem's state enter call: it runs on a state change, its content is the old state
         WHEN starts_with(b.message, '{:enter, ') AND b.callback NOT IN ('handle_call', 'handle_cast', 'handle_info') THEN 'enter'
         ELSE 'message'
       END AS origin,
       n.until_ts
FROM states_raw b LEFT JOIN state_n n ON n.seq = b.seq
ORDER BY b.seq`,
  'DROP TABLE state_n',
];

/** `state_changes`: structural differences between consecutive states of a process, computed at ingest. */
export const BUILD_STATE_CHANGES = `
CREATE OR REPLACE TABLE state_changes AS
SELECT pid, seq, ts, path, change, before, after, node
FROM state_changes_raw
ORDER BY seq, path`;

export const BUILD_SPANS_STATES = [...BUILD_SPANS, ...markSpansInDrop(), ...BUILD_STATES, BUILD_STATE_CHANGES];
