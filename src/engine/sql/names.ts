/**
 * Registered names over time. A name belongs to one process at a time and
 * changes hands: a supervisor restarts a worker under the same name, a
 * process unregisters and another registers. A send addressed to a name
 * went to the process that held it *when the message was sent*, so sends
 * are resolved against these intervals, never against "a process that once
 * had the name".
 */

/**
 * `registrations`: one row per interval during which a process held a name.
 * It starts at a `register` event, or before the recording when the start
 * facts say the process held it (or its first name event is an
 * `unregister`, or facts that do not say when they were taken name it and
 * no `register` does). It ends at the first of: the process's `unregister`
 * of the name, the process's exit (the runtime frees a dead process's
 * names; its `unregister` event comes after the exit), or the next interval
 * of the same name (a missed end: names are unique at any instant).
 */
export const BUILD_REGISTRATIONS = `
CREATE OR REPLACE TABLE registrations AS
WITH ne AS (
  SELECT node, pid, term AS name, kind, seq, ts FROM events WHERE kind IN ('register', 'unregister') AND pid IS NOT NULL AND term IS NOT NULL
),
first_ev AS (SELECT node, pid, name, arg_min(kind, seq) AS first_kind FROM ne GROUP BY ALL),
at_start AS (
  SELECT f.node, f.pid, f.name FROM facts_raw f LEFT JOIN first_ev fe USING (node, pid, name)
  WHERE f.name IS NOT NULL AND (f.snapshot = 'start' OR (f.snapshot IS NULL AND fe.first_kind IS NULL))
  UNION SELECT node, pid, name FROM first_ev WHERE first_kind = 'unregister'
),
marks AS (
  SELECT node, pid, name, kind, seq, ts FROM ne
  UNION ALL SELECT node, pid, name, 'register', NULL, NULL FROM at_start
),
iv AS (
  SELECT *, lead(kind) OVER w AS next_kind, lead(seq) OVER w AS next_seq, lead(ts) OVER w AS next_ts
  FROM marks WINDOW w AS (PARTITION BY node, pid, name ORDER BY seq NULLS FIRST)
),
ex AS (SELECT node, pid, min(seq) AS exit_seq, min(ts) AS exit_ts FROM events WHERE kind = 'exit' GROUP BY ALL),
r AS (
  SELECT iv.node, iv.name, iv.pid, iv.ts AS registered_at, iv.seq AS register_seq,
         CASE WHEN iv.next_kind = 'unregister' THEN iv.next_seq END AS unreg_seq,
         CASE WHEN iv.next_kind = 'unregister' THEN iv.next_ts END AS unreg_ts,
         CASE WHEN ex.exit_seq > coalesce(iv.seq, -1) THEN ex.exit_seq END AS exit_seq,
         CASE WHEN ex.exit_seq > coalesce(iv.seq, -1) THEN ex.exit_ts END AS exit_ts
  FROM iv LEFT JOIN ex ON ex.node = iv.node AND ex.pid = iv.pid
  WHERE iv.kind = 'register'
),
c AS (
  SELECT *, lead(register_seq) OVER w AS next_start_seq, lead(registered_at) OVER w AS next_start_ts
  FROM r WINDOW w AS (PARTITION BY node, name ORDER BY register_seq NULLS FIRST, pid)
),
e AS (SELECT *, least(unreg_seq, exit_seq, next_start_seq) AS end_seq FROM c)
SELECT node, name, pid, registered_at, register_seq,
       CASE end_seq WHEN exit_seq THEN exit_ts WHEN unreg_seq THEN unreg_ts ELSE next_start_ts END AS unregistered_at,
       end_seq AS unregister_seq,
       CASE end_seq WHEN exit_seq THEN 'exit' WHEN unreg_seq THEN 'unregister' WHEN next_start_seq THEN 'replaced' END AS ended_by
FROM e
ORDER BY node, name, register_seq NULLS FIRST`;

/**
 * `name_at(t)`: the registered names standing at instant t, with their holders.
 */
export const CREATE_NAME_AT = `
CREATE OR REPLACE MACRO name_at(t) AS TABLE
SELECT node, name, pid, registered_at FROM registrations
WHERE (registered_at IS NULL OR registered_at <= t) AND (unregistered_at IS NULL OR unregistered_at > t)
ORDER BY node, name`;

/**
 * Sends addressed to a name (`peer` is neither a pid, a port nor a
 * reference), resolved to the interval of `registrations` that covered the
 * send: the latest one of that name on the destination node that started
 * before it, if it had not ended yet. `free` marks a send to a name the
 * recording knows but that nobody held then (locally the send raised
 * badarg; to another node it was dropped). A name the recording knows no
 * interval of falls back to `processes.name`; one it knows nothing of (a
 * raw trace begun after the name was registered: `dbg:p(all, ...)` on a
 * running system) to the process that received the first message sent to
 * the name, on the name's node: the first receive of the same term after
 * that send, as for an alias no call carried (sql/build.ts
 * BUILD_CALL_ALIASES). The streaming pass does the same (stream/correlate.ts).
 */
export const BUILD_NAMED_SENDS = `
CREATE OR REPLACE TEMP TABLE named_sends AS
WITH s AS (
  SELECT seq, peer, peer_node, kind, term_id FROM events
  WHERE kind IN ('send', 'send_to_dead') AND NOT starts_with(peer, '<') AND NOT starts_with(peer, '#')
),
r AS (SELECT node, name, pid, coalesce(register_seq, -1) AS from_seq, unregister_seq FROM registrations),
known AS (SELECT DISTINCT node, name FROM registrations),
fallback AS (SELECT node, name, any_value(pid) AS pid FROM processes WHERE name IS NOT NULL GROUP BY ALL),
u AS (
  SELECT s.peer_node AS node, s.peer AS name, min(s.seq) AS seq, arg_min(s.term_id, s.seq) AS term_id FROM s
  WHERE s.kind = 'send' AND s.term_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM known k WHERE k.node = s.peer_node AND k.name = s.peer)
    AND NOT EXISTS (SELECT 1 FROM fallback f WHERE f.node = s.peer_node AND f.name = s.peer)
  GROUP BY ALL
),
inferred AS (
  SELECT u.node, u.name, arg_min(e.pid, e.seq) AS pid FROM u
  JOIN events e ON e.kind = 'receive' AND e.term_id = u.term_id AND e.node = u.node AND e.seq > u.seq
  WHERE e.pid IS NOT NULL
  GROUP BY ALL
),
a AS (
  SELECT s.seq, s.peer, s.peer_node,
         CASE WHEN r.unregister_seq IS NULL OR r.unregister_seq > s.seq THEN r.pid END AS pid
  FROM s ASOF LEFT JOIN r ON r.node = s.peer_node AND r.name = s.peer AND s.seq > r.from_seq
)
SELECT a.seq, coalesce(a.pid, CASE WHEN k.name IS NULL THEN coalesce(f.pid, i.pid) END) AS to_pid,
       a.pid IS NULL AND k.name IS NOT NULL AS free
FROM a
LEFT JOIN known k ON k.node = a.peer_node AND k.name = a.peer
LEFT JOIN fallback f ON f.node = a.peer_node AND f.name = a.peer
LEFT JOIN inferred i ON i.node = a.peer_node AND i.name = a.peer`;

export const BUILD_NAMES = [BUILD_REGISTRATIONS, CREATE_NAME_AT, BUILD_NAMED_SENDS];
