/**
 * The SQL that turns the raw tables (filled by ingest) into the tables of
 * docs/SCHEMA.md. Everything here runs unchanged in DuckDB-WASM and native
 * DuckDB; it is re-run after every load, so several files merge into one
 * timeline.
 */

/** `events`: one row per event, `seq` in global (ts, node, file, position) order. */
export const BUILD_EVENTS = `
CREATE OR REPLACE TABLE events AS
SELECT (row_number() OVER (ORDER BY ts, node, src, ord) - 1)::BIGINT AS seq,
       ts, node, pid, kind, peer, peer_node, mfa, term, term_id, src, ord
FROM events_raw
ORDER BY seq`;

/** `processes`: every process seen in events or facts, with lifecycle facts. */
export const BUILD_PROCESSES = `
CREATE OR REPLACE TABLE processes AS
WITH ids AS (
  SELECT node, pid FROM events WHERE pid LIKE '<%' AND kind <> 'drop'
  UNION SELECT peer_node, peer FROM events WHERE kind = 'spawn' AND peer LIKE '<%'
  UNION SELECT node, pid FROM facts_raw
),
sp AS (
  SELECT peer_node AS node, peer AS pid, min(ts) AS spawned_at, arg_min(pid, ts) AS parent_pid, arg_min(mfa, ts) AS spawn_mfa
  FROM events WHERE kind = 'spawn' GROUP BY ALL
),
ex AS (
  SELECT node, pid, max(ts) AS exited_at, arg_max(term, ts) AS exit_reason FROM events WHERE kind = 'exit' GROUP BY ALL
),
rg AS (
  SELECT node, pid, arg_max(term, ts) AS name FROM events WHERE kind = 'register' GROUP BY ALL
),
cb AS (
  SELECT node, pid, arg_min(regexp_extract(mfa, '^(.*)\\.[^./]+/[0-9]+$', 1), seq) AS module
  FROM events WHERE kind = 'call' AND regexp_matches(mfa, '\\.(init|handle_call|handle_cast|handle_info|handle_continue|handle_event)/[0-9]+$')
  GROUP BY ALL
),
fa AS (
  SELECT node, pid, max(name) AS name, max(initial_call) AS initial_call, max(module) AS module, max(parent_pid) AS parent_pid
  FROM facts_raw GROUP BY ALL
)
SELECT ids.node, ids.pid,
       coalesce(fa.name, rg.name) AS name,
       coalesce(fa.initial_call, sp.spawn_mfa) AS initial_call,
       coalesce(cb.module, CASE WHEN fa.module NOT IN (':proc_lib', ':erlang') THEN fa.module END) AS module,
       coalesce(sp.parent_pid, fa.parent_pid) AS parent_pid,
       sp.spawned_at, ex.exited_at, ex.exit_reason
FROM ids
LEFT JOIN fa USING (node, pid)
LEFT JOIN sp USING (node, pid)
LEFT JOIN ex USING (node, pid)
LEFT JOIN rg USING (node, pid)
LEFT JOIN cb USING (node, pid)
ORDER BY ids.node, coalesce(sp.spawned_at, 0), ids.pid`;

/** `states`: the state after every callback, joined to its return event. */
export const BUILD_STATES = `
CREATE OR REPLACE TABLE states AS
SELECT s.pid, e.ts, e.seq, s.callback, s.message, s.state, s.state_size, s.node
FROM states_raw s JOIN events e ON e.src = s.src AND e.ord = s.ord AND e.node = s.node AND e.kind = 'return'
ORDER BY e.seq`;

/**
 * Where a send was going: a pid, or a registered name resolved to the pid
 * that held it (processes.name), or a call alias (a reference) resolved to
 * the caller that created it.
 */
export const BUILD_SEND_TARGETS = `
CREATE OR REPLACE TABLE send_targets AS
WITH names AS (
  SELECT node, name, any_value(pid) AS pid FROM processes WHERE name IS NOT NULL GROUP BY ALL
),
aliases AS (
  SELECT c.tag, any_value(e.pid) AS pid, any_value(e.node) AS node
  FROM call_msgs_raw c JOIN events e ON e.src = c.src AND e.ord = c.ord AND e.node = c.node AND e.kind IN ('send', 'send_to_dead')
  WHERE c.is_request GROUP BY c.tag
)
SELECT e.seq,
       CASE WHEN e.peer LIKE '<%' THEN e.peer ELSE coalesce(n.pid, a.pid) END AS to_pid,
       CASE WHEN e.peer LIKE '<%' THEN e.peer_node ELSE coalesce(n.node, a.node, e.peer_node) END AS to_node
FROM events e
LEFT JOIN names n ON e.peer = n.name AND e.peer_node = n.node
LEFT JOIN aliases a ON e.peer = a.tag
WHERE e.kind IN ('send', 'send_to_dead')`;

/**
 * \`messages\`: the n-th send of a term to a process pairs with the n-th
 * receive of that term by that process (receive traces carry no sender).
 */
export const BUILD_MESSAGES = `
CREATE OR REPLACE TABLE messages AS
WITH s AS (
  SELECT e.seq, e.ts, e.node, e.pid, t.to_pid, t.to_node, e.term, e.term_id, e.kind,
         row_number() OVER (PARTITION BY t.to_node, t.to_pid, e.term_id ORDER BY e.seq) AS k
  FROM events e JOIN send_targets t USING (seq)
),
r AS (
  SELECT seq, ts, node, pid, term, term_id,
         row_number() OVER (PARTITION BY node, pid, term_id ORDER BY seq) AS k
  FROM events WHERE kind = 'receive'
),
traced_receivers AS (SELECT DISTINCT node, pid FROM events WHERE kind = 'receive'),
m AS (
  SELECT s.seq AS send_seq, r.seq AS recv_seq,
         s.pid AS from_pid, s.node AS from_node,
         coalesce(s.to_pid, r.pid) AS to_pid, coalesce(s.to_node, r.node) AS to_node,
         s.ts AS sent_at, r.ts AS received_at,
         coalesce(s.term, r.term) AS msg, coalesce(s.term_id, r.term_id) AS msg_id, s.kind AS send_kind
  FROM s FULL OUTER JOIN r
    ON s.kind = 'send' AND s.to_node = r.node AND s.to_pid = r.pid AND s.term_id = r.term_id AND s.k = r.k
)
SELECT m.send_seq, m.recv_seq, m.from_pid, m.to_pid, m.sent_at, m.received_at, m.msg,
       m.from_node, m.to_node, m.msg_id,
       CASE
         WHEN m.send_kind = 'send_to_dead' THEN 'send_to_dead'
         WHEN m.recv_seq IS NOT NULL AND m.send_seq IS NOT NULL THEN 'received'
         WHEN m.send_seq IS NULL THEN 'sender_not_traced'
         WHEN p.exited_at IS NOT NULL AND p.exited_at >= m.sent_at THEN 'receiver_exited'
         WHEN tr.pid IS NOT NULL THEN 'queued_at_end'
         ELSE 'receiver_not_traced'
       END AS status
FROM m
LEFT JOIN processes p ON p.node = m.to_node AND p.pid = m.to_pid
LEFT JOIN traced_receivers tr ON tr.node = m.to_node AND tr.pid = m.to_pid
ORDER BY coalesce(m.send_seq, m.recv_seq)`;

/**
 * \`calls\`: gen_server/gen_statem calls matched to replies through the call
 * tag. Outcome: reply; timeout (no reply reached the caller and the caller
 * went on or exited with a timeout); callee_exit; pending (trace ended).
 */
export const BUILD_CALLS = `
CREATE OR REPLACE TABLE calls AS
WITH cm AS (
  SELECT c.is_request, c.tag, c.body, e.seq, e.ts, e.pid, e.node, t.to_pid, t.to_node
  FROM call_msgs_raw c
  JOIN events e ON e.src = c.src AND e.ord = c.ord AND e.node = c.node AND e.kind IN ('send', 'send_to_dead')
  LEFT JOIN send_targets t ON t.seq = e.seq
),
req AS (SELECT * FROM cm WHERE is_request),
rep AS (SELECT tag, arg_min(seq, seq) AS seq, arg_min(ts, seq) AS ts, arg_min(body, seq) AS body, arg_min(pid, seq) AS pid FROM cm WHERE NOT is_request GROUP BY tag),
got AS (SELECT send_seq, received_at FROM messages WHERE send_seq IS NOT NULL AND recv_seq IS NOT NULL)
SELECT req.seq AS call_seq, req.pid AS caller_pid, req.to_pid AS callee_pid, req.body AS request, rep.body AS reply,
       req.ts AS sent_at, coalesce(got.received_at, rep.ts) AS replied_at,
       coalesce(got.received_at, rep.ts) - req.ts AS latency_ns,
       CASE
         WHEN got.received_at IS NOT NULL THEN 'reply'
         WHEN rep.seq IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events x WHERE x.node = req.node AND x.pid = req.pid AND x.kind = 'receive') THEN 'reply'
         WHEN ce.exited_at IS NOT NULL AND ce.exited_at >= req.ts AND rep.seq IS NULL THEN 'callee_exit'
         WHEN rep.seq IS NOT NULL OR ca.exit_reason LIKE '%timeout%' OR EXISTS (
           SELECT 1 FROM events y WHERE y.node = req.node AND y.pid = req.pid AND y.seq > req.seq AND y.kind IN ('send', 'receive')
         ) THEN 'timeout'
         ELSE 'pending'
       END AS outcome,
       req.node AS caller_node, req.to_node AS callee_node, rep.seq AS reply_seq, req.tag
FROM req
LEFT JOIN rep ON rep.tag = req.tag
LEFT JOIN got ON got.send_seq = rep.seq
LEFT JOIN processes ce ON ce.node = req.to_node AND ce.pid = req.to_pid
LEFT JOIN processes ca ON ca.node = req.node AND ca.pid = req.pid
ORDER BY req.seq`;

export const BUILD_ALL = [BUILD_EVENTS, BUILD_PROCESSES, BUILD_STATES, BUILD_SEND_TARGETS, BUILD_MESSAGES, BUILD_CALLS];
