import { BUILD_ANOMALIES_STEPS } from './anomalies';
import { BUILD_CALL_GROUPS } from './call-groups';
import { BUILD_CAUSAL_LINKS, BUILD_CAUSALITY } from './causality';
import { rangeTest } from './event-ranges';
import { BUILD_NAMED_SENDS, BUILD_REGISTRATIONS, CREATE_NAME_AT } from './names';
import { BUILD_SPANS, BUILD_STATE_CHANGES, BUILD_STATES, markSpansInDrop } from './spans-states';
import { BUILD_LINKS, BUILD_MAILBOX_DEPTH, CREATE_AT_MACROS, CREATE_BUCKET_MACROS } from './system-at';

/**
 * The SQL that turns the raw tables (filled by ingest) into the tables of
 * docs/SCHEMA.md. Everything here runs unchanged in DuckDB-WASM and native
 * DuckDB; it is re-run after every load, so several files merge into one
 * timeline.
 */

/** The version of docs/SCHEMA.md these builds follow; written into `meta` as `schema_version`. */
export const SCHEMA_VERSION = 19;

/** `events`: one row per event, `seq` in global (ts, node, file, position) order. */
export const BUILD_EVENTS = `
CREATE OR REPLACE VIEW events AS
SELECT seq, ts, node, pid, kind, peer, peer_node, mfa, term, term_id, src, ord
FROM events_raw`;

/**
 * Ingest numbers events in arrival order, which is already (ts, node, src,
 * ord) order for one in-order source; the engine runs these only when a load
 * merged sources or met events out of order. Sorting just the keys and
 * updating \`seq\` in place is far cheaper than copying every row sorted; the
 * side tables that name their event by \`seq\` are renumbered with it.
 *
 * \`bounds\` (ascending timestamps) cut the numbering into ranges of \`ts\`: each range sorts only its own events and
 * starts after the events of the earlier ranges, so the numbers are those of one sort over all events. DuckDB-WASM
 * numbers a big load a range at a time: one window over every event's keys grew its memory by 588 MiB at 5M
 * ping-pong events with a few out of order (the load's peak; wasm memory never shrinks). Only the events whose
 * number changes are kept (events out of order move only their neighbours), for the updates and the streaming pass.
 */
export function resequenceEvents(bounds: readonly bigint[] = []): string[] {
  const edges: (bigint | null)[] = [null, ...bounds, null];
  const ranges = edges.slice(1).map((hi, i) => {
    const lo = edges[i];
    const where = rangeTest('ts', lo, hi);
    const before = lo !== null ? `(SELECT count(*) FROM events_raw WHERE ts < ${lo}) + ` : '';
    return `INSERT INTO reseq
SELECT old, new FROM (
  SELECT seq AS old, (${before}row_number() OVER (ORDER BY ts, node, src, ord) - 1)::BIGINT AS new
  FROM events_raw${where !== '' ? ` WHERE ${where}` : ''}
) WHERE old <> new`;
  });
  return [
    'CREATE OR REPLACE TEMP TABLE reseq (old BIGINT, new BIGINT)',
    ...ranges,
    ...['events_raw', 'states_raw', 'call_msgs_raw', 'consumed_raw', 'state_changes_raw'].map(
      (t) => `UPDATE ${t} SET seq = r.new FROM reseq r WHERE ${t}.seq = r.old`,
    ),
    'DROP TABLE reseq',
  ];
}

/** Where a process spawned from another node starts; its spawn's term is `[{M, F, Arity}]`, what it then runs. */
const DIST_SPAWN_INIT = ':erts_internal.dist_spawn_init/1';
const DIST_SPAWN_MFA = '^\\[\\{([^ ,]+), :([a-z_][A-Za-z0-9_@]*[?!]?), ([0-9]+)\\}\\]$';

/** `processes`: every process seen in events or facts, with lifecycle facts. */
export const BUILD_PROCESSES = `
CREATE OR REPLACE TABLE processes AS
WITH ids AS (
  SELECT node, pid FROM events WHERE pid LIKE '<%' AND kind <> 'drop'
  UNION SELECT peer_node, peer FROM events WHERE kind = 'spawn' AND peer LIKE '<%'
  -- (a ttb .ti also names registered ports: they stay out, a port is no process)
  UNION SELECT node, pid FROM facts_raw WHERE pid LIKE '<%'
  UNION SELECT node, pid FROM supervision WHERE pid IS NOT NULL
),
sp AS (
  -- a process another node spawned (erpc, rpc, Node.spawn) starts in :erts_internal.dist_spawn_init/1, the MFA it
  -- goes on to run in the spawn's term ([{:erpc, :execute_call, 4}]): that MFA is its initial call
  SELECT peer_node AS node, peer AS pid, min(ts) AS spawned_at, arg_min(pid, ts) AS parent_pid,
         arg_min(CASE WHEN mfa = '${DIST_SPAWN_INIT}' AND regexp_matches(term, '${DIST_SPAWN_MFA}')
                      THEN regexp_replace(term, '${DIST_SPAWN_MFA}', '\\1.\\2/\\3') ELSE mfa END, ts) AS spawn_mfa
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
  SELECT node, pid, max(name) AS name, max(initial_call) AS initial_call, max(module) AS module, max(parent_pid) AS parent_pid,
         max(other_name) AS other_name
  FROM facts_raw GROUP BY ALL
),
sv AS (
  SELECT node, pid, any_value(application) AS application, any_value(child_id) AS child_id, any_value(type) AS child_type
  FROM supervision WHERE pid IS NOT NULL GROUP BY ALL
)
SELECT ids.node, ids.pid,
       -- a registered name, else a :global or Registry name, else a proc_lib label (docs/SCHEMA.md)
       coalesce(fa.name, rg.name, fa.other_name) AS name,
       -- the facts of a process that exited before stop hold its spawn MFA (:proc_lib.init_p/5), not $initial_call
       coalesce(CASE WHEN fa.initial_call NOT LIKE ':proc_lib.%' AND fa.initial_call <> '${DIST_SPAWN_INIT}' THEN fa.initial_call END,
                CASE WHEN coalesce(fa.initial_call, sp.spawn_mfa) LIKE ':proc_lib.%' AND cb.module IS NOT NULL THEN cb.module || '.init/1' END,
                CASE WHEN fa.initial_call = '${DIST_SPAWN_INIT}' THEN sp.spawn_mfa END,
                fa.initial_call, sp.spawn_mfa) AS initial_call,
       -- a supervisor's traced callbacks are :supervisor's own: its callback module is in the facts (MyApp.Sup)
       coalesce(CASE WHEN cb.module IN (':supervisor', ':supervisor_bridge') AND fa.module NOT IN (':supervisor', ':supervisor_bridge', ':proc_lib', ':erlang') THEN fa.module END,
                cb.module, CASE WHEN fa.module NOT IN (':proc_lib', ':erlang', ':erts_internal') THEN fa.module END) AS module,
       coalesce(sp.parent_pid, fa.parent_pid) AS parent_pid,
       sp.spawned_at, ex.exited_at, ex.exit_reason,
       sv.application, sv.child_id, sv.child_type
FROM ids
LEFT JOIN fa USING (node, pid)
LEFT JOIN sp USING (node, pid)
LEFT JOIN ex USING (node, pid)
LEFT JOIN rg USING (node, pid)
LEFT JOIN cb USING (node, pid)
LEFT JOIN sv USING (node, pid)
ORDER BY ids.node, coalesce(sp.spawned_at, 0), ids.pid`;

/**
 * The processes behind aliases, for send_targets: a call's alias (\`[:alias | ref]\` tags) is its caller's; any
 * other alias a send went to (a Task's reply, \`Process.alias/0\`) is the process that received
 * the first message sent to it: the first receive of the same term after that send. A table of its own, so that
 * send_targets can be built an event range at a time (BUILD_IN_EVENT_RANGES) without grouping every call message
 * again for each range. Keyed by hash(tag): grouping a million reference texts held far more memory than their
 * hashes. The streaming pass resolves aliases the same way (stream/correlate.ts).
 */
export const BUILD_CALL_ALIASES = `
CREATE OR REPLACE TEMP TABLE call_aliases AS
WITH c AS (
  SELECT hash(tag) AS th, any_value(from_pid) AS pid, any_value(from_node) AS node
  FROM call_msgs_raw WHERE is_request AND from_pid IS NOT NULL GROUP BY th),
o AS (
  SELECT hash(peer) AS th, min(seq) AS seq FROM events
  WHERE kind = 'send' AND starts_with(peer, '#Reference<') AND term_id IS NOT NULL GROUP BY th),
f AS (
  SELECT o.th, s.seq, s.term_id, s.peer, s.pid, s.node FROM o JOIN events s ON s.seq = o.seq
  WHERE o.th NOT IN (SELECT th FROM c)),
r AS (
  SELECT f.th, arg_min(r.pid, r.seq) AS pid, arg_min(r.node, r.seq) AS node
  FROM f JOIN events r ON r.kind = 'receive' AND r.term_id = f.term_id AND r.seq > f.seq
  GROUP BY f.th),
-- an alias nothing sent to it reached (an Elixir Task's, deactivated when Task.await timed out): the process that
-- handed it to the sender, in the message a Task starts with, {owner, alias, alias, callers, mfa}
t AS (
  SELECT f.th, arg_min(h.pid, h.seq) AS pid, arg_min(h.node, h.seq) AS node
  FROM f JOIN events h ON h.kind = 'send' AND h.peer = f.pid AND h.peer_node = f.node AND h.seq < f.seq
    AND starts_with(h.term, '{#PID' || h.pid || ', ' || f.peer || ', ' || f.peer)
    AND substr(h.term, length('{#PID' || h.pid || ', ' || f.peer || ', ' || f.peer) + 1, 1) IN (',', '}')
  WHERE f.th NOT IN (SELECT th FROM r)
  GROUP BY f.th)
SELECT th, pid, node FROM c
UNION ALL SELECT th, pid, node FROM r
UNION ALL SELECT th, pid, node FROM t`;

/**
 * Where a send was going: a pid or a port (\`Port ! {self(), {:command, data}}\`); a registered name resolved to the process
 * that held it when the message was sent (\`named_sends\`, sql/names.ts); or
 * a call alias (a reference) resolved to the caller whose request carried
 * it (\`{label, {caller, tag}, _}\`, seen in the request's send or in
 * the callee's receive). \`free_name\`: sent to a name nobody held then.
 */
export const BUILD_SEND_TARGETS = `
CREATE OR REPLACE TABLE send_targets AS
SELECT e.seq,
       CASE WHEN e.peer LIKE '<%' OR starts_with(e.peer, '#Port<') THEN e.peer ELSE coalesce(n.to_pid, a.pid) END AS to_pid,
       CASE WHEN e.peer LIKE '<%' OR starts_with(e.peer, '#Port<') OR n.seq IS NOT NULL THEN e.peer_node ELSE coalesce(a.node, e.peer_node) END AS to_node,
       e.ts, e.node, e.pid, e.term_id, e.kind, coalesce(n.free, false) AS free_name
FROM events e
LEFT JOIN named_sends n ON n.seq = e.seq
LEFT JOIN call_aliases a ON a.th = CASE WHEN starts_with(e.peer, '#') THEN hash(e.peer) END
WHERE e.kind IN ('send', 'send_to_dead')`;

/**
 * Callback calls that took a message from the mailbox (handle_call, handle_cast,
 * handle_info, gen_statem call/cast/info events), with the event they are.
 */
export const BUILD_CONSUMED = `
CREATE OR REPLACE TABLE consumed AS
SELECT seq, ts, node, pid, msg
FROM consumed_raw
ORDER BY seq`;

/**
 * A port's answer to `port_control`, `port_call`, `port_connect` or `port_close` called as a BIF: the runtime returns
 * it to the caller, and a traced port shows it as a send (`{#Port<0.7>, {:control, <<1>>}}`, `{#Port<0.7>, :connected}`)
 * that never reaches a mailbox. The streaming pass uses the same pattern (stream/correlate.ts).
 */
export const PORT_REPLY_PATTERN = '^\\{#Port<[0-9.]+>, (\\{:control, |\\{:call, |:connected\\}$|:closed\\}$)';

/**
 * Messages the runtime makes from a signal, which the trace shows as a receive with no send (the process the signal
 * came from sent nothing): a linked process's or port's exit to a process trapping exits (\`{:EXIT, pid, reason}\`), a
 * monitor's (\`{:DOWN, ref, :process, pid_or_name, reason}\`, \`:port\`), a node monitor's (\`{:nodedown, node}\` of
 * \`monitor_node\`, \`{:nodeup, node, info}\` of \`net_kernel:monitor_nodes\`), a timer's (\`{:timeout, ref, msg}\` of
 * \`erlang:start_timer\`), a spawn request's reply (\`{:spawn_reply, ref, :ok, pid}\` or \`:error, reason\` of
 * \`erlang:spawn_request\`, which a spawn on another node (\`Node.spawn/2\`) waits for), an ETS table handed over
 * (\`{:"ETS-TRANSFER", tab, from_pid, data}\` of \`ets:give_away/3\`, or to the heir when its owner exits), the system
 * monitor's (\`{:monitor, pid_or_port, :long_gc, info}\` and its other events, \`erlang:system_monitor/2\`), a time offset
 * monitor's (\`{:CHANGE, ref, :time_offset, :clock_service, offset}\`), a monitor tagged with a reference (an alias) in
 * place of \`:DOWN\` (\`{alias, mref, :process, pid_or_name, reason}\`: OTP 26+ \`multi_call\`'s monitor of each
 * \`{name, node}\`, OTP 27 erpc's of the process running a call; \`erlang:monitor/3\`'s \`{:tag, alias}\`). Not a port's own messages to its owner
 * (\`{port, {:data, _}}\`, \`{:tcp, socket, _}\`): a port sends those (a traced port shows the send), so with the port
 * untraced they stay \`sender_not_traced\`. The streaming pass uses the same pattern (stream/correlate.ts).
 */
export const SIGNAL_PATTERN =
  '^\\{(:EXIT, #(PID|Port)<|:DOWN, #Reference<[0-9.]+>, :(process|port), |:node(up|down), :|:timeout, #Reference<[0-9.]+>, ' +
  '|:spawn_reply, #Reference<[0-9.]+>, :(ok|error), |:"ETS-TRANSFER", ' +
  '|:monitor, #(PID|Port)<[0-9.]+>, :(long_gc|long_schedule|large_heap|busy_port|busy_dist_port|long_message_queue), ' +
  '|:CHANGE, #Reference<[0-9.]+>, :time_offset, :clock_service, |#Reference<[0-9.]+>, #Reference<[0-9.]+>, :(process|port), )';

/**
 * The process or port a signal's message names (its first group): the one the signal came from (an exit's, a monitor's),
 * the one a spawn request started, the one that handed an ETS table over, the one the system monitor reports.
 */
const SIGNAL_SENDER =
  '^\\{(?::EXIT|:DOWN, #Reference<[0-9.]+>, :(?:process|port)|:spawn_reply, #Reference<[0-9.]+>, :ok' +
  '|:"ETS-TRANSFER", (?:#Reference<[0-9.]+>|:"(?:[^"\\\\]|\\\\.)*"|:[^," ]+)|:monitor|#Reference<[0-9.]+>, #Reference<[0-9.]+>, :(?:process|port))' +
  ', (#PID<[0-9.]+>|#Port<[0-9.]+>)';

/** A node's name as recorded, without the run suffix a later run of that name reads with (\`a@h#2\` is \`a@h\`). */
export const RUN_OF = (node: string) => `regexp_replace(${node}, '#[0-9]+$', '')`;

/**
 * A \`signal\` message's sender, in \`table\` (\`messages\`, or the streaming pass's beside it): the process or port its
 * term names (SIGNAL_SENDER), NULL for the others. A pid prints without its node in a term (\`#PID<0.ID.SERIAL>\`),
 * and two nodes can both have it, so its node is one where the recording holds that process's exit (at or before the
 * receive first, then at all: merged clocks; the receiver's node first, then text order); an \`:EXIT\` may also come
 * from a live process (\`exit/2\`): else the receiver's node when that pid is known there. A monitor's \`:DOWN\` names
 * a process that is gone, so a live process of that pid is not it (on OTP 27 a peer node's \`<0.92.0>\` and the
 * recording node's own, alive, were both there). A spawn reply's process is first the one of that pid the receiver
 * spawned (the receiver's node first), alive or not. An \`:EXIT\` or \`:DOWN\` whose reason is \`:noconnection\` came
 * from a process of another node, whose connection was lost (it may live on: at its node's recording's end, or not
 * exited at all): a process of that pid on a node other than the receiver's, alive or not, and not on another run of the
 * receiver's own node name (\`a@h#2\` beside \`a@h\`: src/engine/ingest/node-runs.ts), whose connection was never lost. NULL when no node
 * qualifies (a node not recorded). A port, an ETS
 * table's giver and a process the system monitor reports are the receiver's node's (ports are neither linked nor
 * monitored across nodes; tables and the system monitor are the node's own). One statement for both builds: the
 * streaming pass decides the status, and this fills the sender in after it, as after the SQL's.
 */
export function signalSenders(table = 'messages'): string {
  return `UPDATE ${table} SET from_pid = s.pid, from_node = s.node
FROM (
  WITH n AS (
    SELECT recv_seq, to_node, to_pid, received_at, starts_with(msg, '{:EXIT, ') AS is_exit, starts_with(msg, '{:spawn_reply, ') AS is_spawn,
           starts_with(msg, '{:"ETS-TRANSFER", ') OR starts_with(msg, '{:monitor, ') AS is_local, regexp_extract(msg, '${SIGNAL_SENDER}', 1) AS named,
           (starts_with(msg, '{:EXIT, ') OR starts_with(msg, '{:DOWN, ')) AND ends_with(msg, ', :noconnection}') AS is_lost
    FROM ${table} WHERE status = 'signal'
  ),
  sp AS (
    SELECT recv_seq, to_node, to_pid, received_at, is_exit, is_spawn, is_local, is_lost, CASE WHEN starts_with(named, '#PID') THEN substr(named, 5) ELSE named END AS pid
    FROM n WHERE named <> ''
  )
  SELECT sp.recv_seq, sp.pid,
         CASE WHEN starts_with(sp.pid, '#Port<') OR sp.is_local THEN sp.to_node
              ELSE (SELECT p.node FROM processes p
                    WHERE p.pid = sp.pid
                      AND (CASE WHEN sp.is_lost THEN ${RUN_OF('p.node')} <> ${RUN_OF('sp.to_node')}
                                ELSE p.exited_at IS NOT NULL OR (sp.is_exit AND p.node = sp.to_node) OR (sp.is_spawn AND p.parent_pid = sp.to_pid) END)
                    ORDER BY coalesce(sp.is_spawn AND p.parent_pid = sp.to_pid, false) DESC,
                             coalesce(p.exited_at <= sp.received_at, false) DESC, p.exited_at IS NOT NULL DESC,
                             p.node = sp.to_node DESC, p.node
                    LIMIT 1) END AS node
  FROM sp
) s
WHERE ${table}.status = 'signal' AND ${table}.recv_seq = s.recv_seq`;
}

/**
 * \`signal_lines\` (internal): the signals a view draws as a line (docs/SCHEMA.md \`messages\` status \`signal\` with a
 * \`from_pid\` whose node is known), each with where its line starts (src/engine/views/signal-origin.ts): its sender's exit when the
 * recording holds one at or before the receive (\`from_exit\`), else the receive's instant. Built once per load so a
 * timeline tile and the sequence diagram ask a table of the signals alone, not \`messages\`: the signals' rows in
 * the tile's arrow query (\`sent_at IS NULL\` beside the sends' \`sent_at < B\`) cost every tile of a 1M-event trace a
 * fifth to a half more, and the senders' exits joined in the sequence diagram's query made it 1.4 to 7 times slower.
 */
export const BUILD_SIGNAL_LINES = `CREATE OR REPLACE TABLE signal_lines AS
SELECT m.from_node, m.from_pid, m.to_node, m.to_pid, m.recv_seq, m.received_at, m.msg,
       coalesce(p.exited_at, m.received_at) AS started_at, p.exited_at IS NOT NULL AS from_exit
FROM messages m LEFT JOIN processes p ON p.node = m.from_node AND p.pid = m.from_pid AND p.exited_at <= m.received_at
WHERE m.status = 'signal' AND m.from_pid IS NOT NULL AND m.from_node IS NOT NULL AND m.recv_seq IS NOT NULL
ORDER BY m.received_at, m.recv_seq`;

/**
 * Messages no callback takes, by the start of their text: system and proc_lib messages, and the replies that helpers
 * running inside a callback wait for (io, code loading, gen_tcp's send). The streaming pass uses the same list.
 */
export const NO_CALLBACK_TAKES = ['{:system, ', '{:ack, ', '{:io_reply, ', '{:code_server, ', '{:inet_reply, '] as const;

/**
 * A gen_event handler's callback (\`handle_event/2\`): the process that runs it is a gen_event manager, whose messages no
 * callback takes one by one (a notify runs every handler's \`handle_event\`, a plain message every handler's
 * \`handle_info\`; its requests, labelled with the caller's pid, none): each is taken as it comes, as in a process whose
 * callbacks are not traced. The streaming pass uses the same suffix.
 */
export const GEN_EVENT_HANDLER_MFA = '.handle_event/2';

/** A GenServer's or gen_statem's callback function, by its MFA text (a gen_statem state function is one only when \`consumed\` has it). */
export const CALLBACK_MFA = '\\.(init|handle_call|handle_cast|handle_info|handle_continue|handle_event)/[0-9]+$';

/**
 * A gen_statem state function's call (arity 3), by its arguments' text: an event type first. Such a call took no
 * message when it ran an internal event, a timeout, a state enter call or an event the gen_statem queued (postponed,
 * inserted), so \`consumed\` does not have it, yet it is a callback (msg_took's \`back\`).
 */
export const STATEM_CALL_ARGS = '^\\[(:(cast|info|internal|enter|timeout|state_timeout), |\\{:(call|timeout), )';

/** The pairing key of a send or receive (see BUILD_MESSAGES): NULL when the receiver or the term is unknown. */
const pairKey = (node: string, pid: string) =>
  `CASE WHEN ${node} IS NOT NULL AND ${pid} IS NOT NULL AND term_id IS NOT NULL THEN hash(${node}, ${pid}, term_id) END`;

/**
 * \`messages\`: the n-th send of a term to a process pairs with the n-th
 * receive of that term by that process (receive traces carry no sender); the
 * n-th receive of a term by a GenServer / gen_statem pairs with the n-th
 * callback that handled that term (consumption). See docs/SCHEMA.md for the
 * statuses and for when a message counts as taken from the mailbox.
 */
export const BUILD_MESSAGES = [
  // Sends and receives numbered per (receiver, term), as narrow rows: the seq, the number k and g, one 64-bit
  // hash of (receiver node, receiver pid, term id) for the rows that can pair (NULL for the others: only plain sends to
  // a known receiver can be received); the event's own columns join back by seq at the end. The windows partition on
  // a hash of their keys too, not on the text keys (these four steps 1.16 -> 0.82 s at 1M ping-pong events; two groups
  // would have to collide for a numbering or a pairing to go wrong). Temp tables without the text columns: messages
  // 1.84 -> 1.57 s of CPU at 1M. Built in steps: one statement holding every intermediate at once needed ~2.5x the memory.
  // Each statement holds at most one big join: DuckDB spills a hash join's table past its memory limit, but not those
  // of several joins in one pipeline (the pairs joined to their sends, receives, takers and receivers in one
  // statement ran out of memory at 1M ping-pong events under a 100 MB limit on native DuckDB).
  // Only 64-bit columns go through the windows and into these tables (the hashes are taken before the window): a
  // window holds every row it numbers, and the texts carried through them set the load's peak memory (at 5M
  // ping-pong events). Where a send went (to_pid, to_node, free_name) is read from send_targets at the end.
  `CREATE OR REPLACE TABLE msg_s AS
SELECT seq, g, row_number() OVER (PARTITION BY p ORDER BY seq) AS k
FROM (SELECT seq, CASE WHEN kind = 'send' THEN ${pairKey('to_node', 'to_pid')} END AS g, hash(to_node, to_pid, term_id, kind) AS p
      FROM send_targets)`,
  // Receives a callback would handle, in processes whose callbacks were traced (not call replies, which gen:call
  // takes, nor system or proc_lib messages, nor the replies the code server and a port send to a helper running
  // inside a callback: code loading, gen_tcp's send), paired with the n-th callback that took the same text. Numbered per
  // (process, text) through one 64-bit hash of the three, and only that hash and the seq go through the window:
  // sorting on long text keys is what made this slow, and the window holding the texts of every such receive set the
  // load's peak memory (at 5M ping-pong events DuckDB-WASM grew by 289 MiB in this statement).
  `CREATE OR REPLACE TABLE msg_h AS
WITH tracked AS (SELECT DISTINCT node, pid FROM consumed
                 EXCEPT SELECT DISTINCT node, pid FROM events WHERE kind = 'call' AND ends_with(mfa, '${GEN_EVENT_HANDLER_MFA}')),
replies AS (SELECT seq FROM call_msgs_raw WHERE NOT is_request AND kind = 'receive'),
r AS (
  SELECT e.seq, hash(e.node, e.pid, e.term) AS p, hash(e.node, e.pid) AS q
  FROM events e SEMI JOIN tracked tk ON tk.node = e.node AND tk.pid = e.pid
  ANTI JOIN replies rp ON rp.seq = e.seq
  WHERE e.kind = 'receive' AND ${NO_CALLBACK_TAKES.map((x) => `NOT starts_with(e.term, '${x}')`).join(' AND ')} AND e.term <> ':timeout'
)
SELECT seq, p, q, row_number() OVER (PARTITION BY p ORDER BY seq) AS k FROM r`,
  `CREATE OR REPLACE TABLE msg_c AS
SELECT seq, ts, p, row_number() OVER (PARTITION BY p ORDER BY seq) AS k
FROM (SELECT seq, ts, hash(node, pid, msg) AS p FROM consumed)`,
  // (Two (process, text) groups would have to collide in the hash for a receive to pair with another's callback.)
  // A receive no callback took, before one a callback of the same process took, left the mailbox before that
  // callback: the main loop of a GenServer or gen_statem takes its mailbox in order, so a receive inside a callback
  // (a selective receive waiting for a helper's answer), or code not traced (a first callback run before its module
  // was traced), took it (\`inside\`). So did one before the process's last callback returned to the main loop (any
  // return but \`{:stop, ...}\`, \`{:stop_and_reply, ...}\`; no callback called after it) with calls still traced on its
  // node after that (a later call event: a recording's end may stop tracing calls before messages): the loop takes
  // the head of the mailbox at once, and a callback that took it would be traced, so the mailbox was empty then (the
  // last callback's own selective receive took it). Not a receive inside a callback that had not returned by the end:
  // it may still be waiting for another message. A gen_statem's state function counts as a callback whatever event it
  // ran (an internal or queued one takes no message): the loop runs its queued events before the mailbox.
  `CREATE OR REPLACE TABLE msg_took AS
WITH last_call AS (SELECT node, max(ts) AS ts FROM events WHERE kind = 'call' GROUP BY node),
last_ret AS (SELECT node, pid, max(seq) AS seq FROM states_raw WHERE callback NOT IN ('get_state', 'replace_state') GROUP BY ALL),
back AS (
  SELECT hash(r.node, r.pid) AS q, r.seq
  FROM last_ret r JOIN events e ON e.seq = r.seq JOIN last_call w ON w.node = e.node
  WHERE e.kind = 'return' AND e.ts < w.ts AND NOT starts_with(e.term, '{:stop, ') AND NOT starts_with(e.term, '{:stop_and_reply, ')
    AND NOT EXISTS (SELECT 1 FROM events c WHERE c.node = r.node AND c.pid = r.pid AND c.kind = 'call' AND c.seq > r.seq
                      AND (regexp_matches(c.mfa, '${CALLBACK_MFA}') OR c.seq IN (SELECT seq FROM consumed)
                           OR (ends_with(c.mfa, '/3') AND regexp_matches(c.term, '${STATEM_CALL_ARGS}'))))
)
SELECT t.recv_seq, t.consumed_seq, t.consumed_at,
       t.consumed_seq IS NULL AND (t.recv_seq < max(CASE WHEN t.consumed_seq IS NOT NULL THEN t.recv_seq END) OVER (PARTITION BY t.q)
                                   OR coalesce(t.recv_seq < b.seq, false)) AS inside
FROM (SELECT h.seq AS recv_seq, h.q, c.seq AS consumed_seq, c.ts AS consumed_at FROM msg_h h LEFT JOIN msg_c c ON c.p = h.p AND c.k = h.k) t
LEFT JOIN back b ON b.q = t.q`,
  'DROP TABLE msg_h',
  'DROP TABLE msg_c',
  // Each receive with when it was taken: by the callback that handled it, not yet (a receive a callback would
  // handle that none did), or as it was received.
  `CREATE OR REPLACE TABLE msg_r AS
WITH r AS (
  SELECT seq, ts, g, row_number() OVER (PARTITION BY p ORDER BY seq) AS k
  FROM (SELECT seq, ts, ${pairKey('node', 'pid')} AS g, hash(node, pid, term_id) AS p FROM events WHERE kind = 'receive')
)
SELECT r.seq, r.g, r.k, r.ts AS received_at, took.consumed_seq, took.consumed_at,
       CASE WHEN took.consumed_seq IS NOT NULL THEN took.consumed_at WHEN took.recv_seq IS NULL OR took.inside THEN r.ts END AS taken_at
FROM r LEFT JOIN msg_took took ON took.recv_seq = r.seq`,
  'DROP TABLE msg_took',
  `CREATE OR REPLACE TEMP TABLE msg_j AS
SELECT ms.seq AS send_seq, mr.seq AS recv_seq, mr.received_at, mr.consumed_seq, mr.consumed_at, mr.taken_at
FROM msg_s ms FULL OUTER JOIN msg_r mr ON ms.g = mr.g AND ms.k = mr.k`,
  'DROP TABLE msg_s',
  'DROP TABLE msg_r',
  // The pairs' first event (the send, else the receive) gives the text, the sender, and the receiver of a message
  // whose send was not traced; the send's target gives the receiver of the others; what is known of the receiver
  // comes from one small table in the same pipeline (one join on the text keys, not three: 1.9 -> 1.6 s of CPU for
  // messages at 1M ping-pong events). Both big joins are by seq, and DuckDB-WASM runs this one range of events at a time.
  `CREATE OR REPLACE TABLE messages AS
WITH receivers AS (
  SELECT node, pid, max(exited_at) AS exited_at, bool_or(traced) AS traced
  FROM (SELECT node, pid, exited_at, false AS traced FROM processes
        UNION ALL SELECT DISTINCT node, pid, NULL, true FROM events WHERE kind = 'receive'
        UNION ALL SELECT DISTINCT node, pid, NULL, true FROM consumed)
  GROUP BY node, pid
),
-- when each node's tracing ran: its first and last event of a process (a state read at start comes before it)
windows AS (SELECT node, min(ts) AS first_ts, max(ts) AS last_ts FROM events WHERE pid IS NOT NULL AND kind <> 'state' GROUP BY node),
m AS (
  SELECT j.send_seq, j.recv_seq,
         CASE WHEN j.send_seq IS NOT NULL THEN e.pid END AS from_pid,
         CASE WHEN j.send_seq IS NOT NULL THEN e.node END AS from_node,
         CASE WHEN j.send_seq IS NOT NULL THEN t.to_pid ELSE e.pid END AS to_pid,
         CASE WHEN j.send_seq IS NOT NULL THEN t.to_node ELSE e.node END AS to_node,
         CASE WHEN j.send_seq IS NOT NULL THEN e.ts END AS sent_at,
         j.received_at, e.term AS msg, e.term_id AS msg_id,
         CASE WHEN j.send_seq IS NOT NULL THEN e.kind END AS send_kind, t.free_name,
         j.consumed_seq, j.consumed_at, j.taken_at,
         j.send_seq IS NULL AND regexp_matches(e.term, '${SIGNAL_PATTERN}') AS is_signal
  FROM msg_j j JOIN events e ON e.seq = coalesce(j.send_seq, j.recv_seq)
  LEFT JOIN send_targets t ON t.seq = j.send_seq
)
SELECT m.send_seq, m.recv_seq, m.from_pid, m.to_pid, m.sent_at, m.received_at, m.msg,
       m.from_node, m.to_node, m.msg_id,
       CASE
         WHEN m.send_kind = 'send_to_dead' THEN 'send_to_dead'
         WHEN m.send_seq IS NULL AND m.msg = ':timeout' THEN 'after_timeout'
         WHEN m.is_signal THEN 'signal'
         WHEN m.send_seq IS NULL THEN 'sender_not_traced'
         WHEN m.free_name THEN 'unregistered_name'
         WHEN m.taken_at IS NOT NULL THEN 'received'
         WHEN m.recv_seq IS NULL AND starts_with(m.from_pid, '#Port<') AND regexp_matches(m.msg, '${PORT_REPLY_PATTERN}') THEN 'port_reply'
         WHEN r.exited_at IS NOT NULL THEN 'receiver_exited'
         -- sent to another node before its recording started or after it ended: nothing known of its arrival
         WHEN r.traced AND (m.sent_at < w.first_ts OR m.sent_at > w.last_ts) THEN 'receiver_not_traced'
         WHEN r.traced THEN 'queued_at_end'
         ELSE 'receiver_not_traced'
       END AS status,
       m.consumed_seq, m.consumed_at,
       -- a signal no callback took left the mailbox as it came: OTP's code takes these outside the callbacks
       -- (gen_statem's timers, a supervisor's shutdown, demonitor's flush)
       CASE WHEN m.taken_at IS NULL AND m.is_signal THEN m.received_at ELSE m.taken_at END AS taken_at
FROM m LEFT JOIN receivers r ON r.node = m.to_node AND r.pid = m.to_pid
LEFT JOIN windows w ON w.node = m.to_node`,
  'DROP TABLE msg_j',
];

/**
 * \`drops\`: the windows in which the recorder dropped events (docs/SCHEMA.md), one per drop event. An archive's
 * drop record gives its end; a dbg drop frame gives only a count, between the node's event before it (its \`ts\`)
 * and the node's next event in the same file, which closes it (ASOF: the first with a greater \`ord\`).
 */
export const BUILD_DROPS = `
CREATE OR REPLACE TABLE drops AS
SELECT d.node, d.src, d.from_ts, coalesce(d.to_ts, n.ts, d.from_ts) AS to_ts, d.count, d.reason
FROM drops_raw d
ASOF LEFT JOIN (
  -- only the files and nodes of windows to close: without dbg drop frames, no event is sorted
  SELECT src, node, ord, ts FROM events_raw
  WHERE kind <> 'drop' AND (src, node) IN (SELECT src, node FROM drops_raw WHERE to_ts IS NULL)
) n ON n.src = d.src AND n.node = d.node AND n.ord > d.ord
ORDER BY d.from_ts, d.node, d.src`;

/** A window of \`drops\` on one of \`nodes\` overlapping [lo, hi] (SQL expressions; hi NULL: to the end). */
const dropBetween = (nodes: string, lo: string, hi: string) =>
  `EXISTS (SELECT 1 FROM drops d WHERE d.node IN (${nodes}) AND d.to_ts >= ${lo} AND (${hi} IS NULL OR d.from_ts <= ${hi}))`;

/**
 * Messages whose missing side the recorder may have dropped (docs/SCHEMA.md \`messages\`): a message never taken
 * (\`queued_at_end\`, \`receiver_exited\`) is \`in_drop\` when the receiver's node dropped events between its
 * arrival (its receive, else its send: the receive comes after) and the receiver's exit (else the end): its receive,
 * or the callback that took it, may be among them; a receive with no send is \`sender_in_drop\` when some node dropped
 * events before it. Run after \`calls\` read \`messages\` (those statuses matter to no call), on \`table\`.
 */
export function markInDrop(table = 'messages'): string[] {
  return [
    `UPDATE ${table} SET status = 'in_drop'
WHERE status IN ('queued_at_end', 'receiver_exited') AND send_seq IN (
  SELECT m.send_seq FROM ${table} m LEFT JOIN processes p ON p.node = m.to_node AND p.pid = m.to_pid
  WHERE m.status IN ('queued_at_end', 'receiver_exited')
    AND ${dropBetween('m.to_node', 'coalesce(m.received_at, m.sent_at)', 'p.exited_at')}
)`,
    `UPDATE ${table} SET status = 'sender_in_drop'
WHERE status = 'sender_not_traced' AND EXISTS (SELECT 1 FROM drops d WHERE d.from_ts <= ${table}.received_at)`,
  ];
}

/** An exit reason a caller blocked in a call can only have got from an exit signal (see BUILD_CALLS). */
const KILLED_WAITING = (reason: string) =>
  `(${reason} <> ':normal' AND ${reason} NOT LIKE '%timeout%' AND NOT regexp_matches(${reason}, '^\\{#Reference<[0-9.]+>, :return, ')
  AND NOT regexp_matches(${reason}, '^\\{#PID<[0-9.]+>, #Reference<[0-9.]+>, \\{\\['))`;

/**
 * \`calls\`: gen:call's calls (gen_server, gen_statem, gen_event, \`:sys\`: ingest's callMessage) matched to replies through the call
 * tag (a reference, or \`[:alias | ref]\` since OTP 24, which is also the
 * monitor reference of the call). A request is seen in the caller's send or,
 * when the caller was not traced, in the callee's receive; a reply in the
 * callee's send or the caller's receive.
 */
export const BUILD_CALLS = [
  // One pass over the call messages: each tag's request and reply, as sent and as received (the first of each).
  // The caller is in the request itself (`{from, tag}`); the callee is the request's receiver, or where its send went.
  // Each big join in a statement of its own (see BUILD_MESSAGES): the requests with their send's target, then
  // the calls with the small tables (processes, the receivers) in one pipeline.
  // call_g and call_req are ordinary tables, not temporary ones: DuckDB compresses those (temporary tables never), and
  // DuckDB-WASM builds them one part of the tags at a time (BUILD_IN_KEY_PARTS), so their texts (tags, requests,
  // replies) are never all uncompressed at once: as temporary tables the two set the load's peak memory (at 5M
  // ping-pong events they held ~380 MiB of DuckDB-WASM's memory while calls was built).
  `CREATE OR REPLACE TABLE call_g AS
SELECT tag_id, arg_min(tag, seq) AS tag,
       min(seq) FILTER (WHERE is_request AND kind <> 'receive') AS rs_seq,
       min(ts) FILTER (WHERE is_request AND kind <> 'receive') AS rs_ts,
       min(seq) FILTER (WHERE is_request AND kind = 'receive') AS request_recv_seq,
       min(ts) FILTER (WHERE is_request AND kind = 'receive') AS rr_ts,
       arg_min(pid, seq) FILTER (WHERE is_request AND kind = 'receive') AS rr_pid,
       arg_min(node, seq) FILTER (WHERE is_request AND kind = 'receive') AS rr_node,
       arg_min(from_pid, seq) FILTER (WHERE is_request) AS caller_pid,
       arg_min(from_node, seq) FILTER (WHERE is_request) AS caller_node,
       arg_min(body, seq) FILTER (WHERE is_request) AS request,
       min(seq) FILTER (WHERE NOT is_request AND kind <> 'receive') AS reply_seq,
       min(ts) FILTER (WHERE NOT is_request AND kind <> 'receive') AS reply_sent_at,
       min(seq) FILTER (WHERE NOT is_request AND kind = 'receive') AS reply_recv_seq,
       min(ts) FILTER (WHERE NOT is_request AND kind = 'receive') AS reply_received_at,
       arg_min(body, seq) FILTER (WHERE NOT is_request) AS reply
FROM call_msgs_raw GROUP BY tag_id`,
  // (The aggregate and the join in one statement ran out of memory at 1M under 100 MB.)
  `CREATE OR REPLACE TABLE call_req AS
SELECT g.tag_id, g.tag, coalesce(g.rs_seq, g.request_recv_seq) AS call_seq, g.caller_pid, g.caller_node,
       coalesce(g.rr_pid, t.to_pid) AS callee_pid, coalesce(g.rr_node, t.to_node) AS callee_node,
       g.request, coalesce(g.rs_ts, g.rr_ts) AS sent_at, g.request_recv_seq,
       g.reply_seq, g.reply_sent_at, g.reply_recv_seq, g.reply_received_at, g.reply
FROM call_g g LEFT JOIN send_targets t ON t.seq = g.rs_seq
WHERE coalesce(g.rs_seq, g.request_recv_seq) IS NOT NULL`,
  'DROP TABLE call_g',
  // What calls reads of all calls and events, in small tables of their own, so that DuckDB-WASM can build calls one
  // range of events at a time (BUILD_IN_EVENT_RANGES): the processes whose receives were traced, and when each
  // unanswered caller went on.
  `CREATE OR REPLACE TEMP TABLE call_recv AS SELECT DISTINCT node, pid FROM events WHERE kind = 'receive'`,
  `CREATE OR REPLACE TEMP TABLE call_went AS
-- only calls whose reply never reached the caller can have timed out: the ASOF join runs on those alone
-- (a reply sent to a caller whose receives were not traced counts as answered, so those are left out too, unless the
-- caller had exited before the reply was sent)
WITH unanswered AS (
  SELECT * FROM call_req
  WHERE reply_recv_seq IS NULL AND (reply_seq IS NULL OR (caller_node, caller_pid) IN (SELECT node, pid FROM call_recv)
    OR EXISTS (SELECT 1 FROM processes p WHERE p.node = caller_node AND p.pid = caller_pid AND p.exited_at <= reply_sent_at))
),
-- When the caller gave up: gen:call's \`receive ... after Timeout\` timing out is traced as a receive of :timeout with no
-- send (status after_timeout), the first such receive after the request. Without one (receives not traced), a caller
-- blocked in gen:call neither sends nor runs traced code: its first such event after the request means it went on.
-- Not its exit: a caller killed while it waited did not give up (caller_exit), and one that exits because the call
-- timed out says so in its reason.
-- (Only the unanswered callers' events after the first unanswered call: the ASOF join sorts all of its right side.)
callers AS (SELECT DISTINCT caller_node, caller_pid FROM unanswered),
first_unanswered AS (SELECT coalesce(min(call_seq), 9223372036854775807) AS seq FROM unanswered),
active AS (
  SELECT e.node, e.pid, e.seq, e.ts FROM events e
  SEMI JOIN callers u ON e.node = u.caller_node AND e.pid = u.caller_pid
  WHERE e.kind IN ('send', 'send_to_dead', 'call', 'return', 'exception', 'spawn', 'link', 'register')
    AND e.seq > (SELECT seq FROM first_unanswered)
  UNION ALL
  SELECT m.to_node, m.to_pid, m.recv_seq, m.received_at FROM messages m
  SEMI JOIN callers u ON m.to_node = u.caller_node AND m.to_pid = u.caller_pid
  WHERE m.status = 'after_timeout' AND m.recv_seq > (SELECT seq FROM first_unanswered)
)
SELECT u.tag_id, a.ts AS went_on_at
FROM unanswered u ASOF JOIN active a ON a.node = u.caller_node AND a.pid = u.caller_pid AND u.call_seq < a.seq`,
  // When the caller learnt that the callee was gone: gen:call monitors the callee with the reference its tag carries,
  // and the callee's exit (before the call: \`:noproc\`) reaches the caller as that monitor's
  // \`{:DOWN, ref, :process, callee, reason}\` (a \`signal\` in messages), whether or not the callee was traced. A call
  // answered in time never gets one (gen:call drops the monitor with the reply or its timeout). Not a lost connection
  // (\`:noconnection\`): the callee may live on.
  // multi_call from OTP 26 monitors each \`{name, node}\` with its alias as the monitor's tag (the tag is the monitor
  // reference): the :DOWN comes as \`{alias, ref, :process, {name, node}, reason}\`, a receive with no send.
  `CREATE OR REPLACE TEMP TABLE call_down AS
WITH downs AS (
  SELECT to_node, to_pid, received_at, regexp_extract(msg, '^\\{:DOWN, (#Reference<[0-9.]+>), ', 1) AS ref
  FROM messages WHERE status = 'signal' AND starts_with(msg, '{:DOWN, #Reference<') AND NOT ends_with(msg, ', :noconnection}')
  UNION ALL
  SELECT to_node, to_pid, received_at, regexp_extract(msg, '^\\{#Reference<[0-9.]+>, (#Reference<[0-9.]+>), :process, ', 1) AS ref
  FROM messages
  WHERE status = 'signal' AND regexp_matches(msg, '^\\{#Reference<[0-9.]+>, #Reference<[0-9.]+>, :process, ')
    AND NOT ends_with(msg, ', :noconnection}')
)
SELECT r.tag_id, min(d.received_at) AS down_at
FROM call_req r JOIN downs d ON d.to_node = r.caller_node AND d.to_pid = r.caller_pid AND d.ref = r.tag
WHERE r.reply_recv_seq IS NULL AND d.received_at >= r.sent_at
GROUP BY r.tag_id
UNION ALL
-- multi_call on OTP 25 and older (tags \`{ref, node}\`) monitors each \`{name, node}\` with a reference of its own: a
-- server not registered on a node answers nothing, and the caller (or the middleman it spawned) gets that monitor's
-- \`{:DOWN, ref, :process, {name, node}, :noproc}\`, the first one naming where the request went after it
SELECT r.tag_id, min(d.received_at) AS down_at
FROM call_req r JOIN events s ON s.seq = r.call_seq
JOIN (SELECT to_node, to_pid, received_at, regexp_extract(msg, '^\\{:DOWN, #Reference<[0-9.]+>, :process, (\\{[^{}]*\\}), ', 1) AS obj
      FROM messages WHERE status = 'signal' AND starts_with(msg, '{:DOWN, #Reference<') AND NOT ends_with(msg, ', :noconnection}')) d
  ON d.to_node = r.caller_node AND d.to_pid = r.caller_pid
 AND d.obj IN ('{' || s.peer || ', :' || r.callee_node || '}', '{' || s.peer || ', :"' || r.callee_node || '"}')
WHERE r.reply_recv_seq IS NULL AND starts_with(r.tag, '{#Reference<') AND starts_with(s.peer, ':') AND d.received_at >= r.sent_at
GROUP BY r.tag_id`,
  `CREATE OR REPLACE TABLE calls AS
WITH j AS (
  SELECT req.*,
         cr.pid IS NOT NULL AS caller_receives_traced, cw.last_ts AS caller_node_last_ts,
         ce.exited_at AS callee_exited_at, ca.exited_at AS caller_exited_at, ca.exit_reason AS caller_exit_reason,
         went.went_on_at AS caller_went_on_at, down.down_at AS callee_down_at,
         coalesce(ca.exited_at <= req.reply_sent_at, false) AS caller_gone_before_reply
  FROM call_req req
  LEFT JOIN call_went went ON went.tag_id = req.tag_id
  LEFT JOIN call_down down ON down.tag_id = req.tag_id
  LEFT JOIN call_recv cr ON cr.node = req.caller_node AND cr.pid = req.caller_pid
  LEFT JOIN processes ce ON ce.node = req.callee_node AND ce.pid = req.callee_pid
  LEFT JOIN processes ca ON ca.node = req.caller_node AND ca.pid = req.caller_pid
  -- when the caller's node stopped recording: its last event of a process (a state read at start aside)
  LEFT JOIN (SELECT node, max(ts) AS last_ts FROM events WHERE pid IS NOT NULL AND kind <> 'state' GROUP BY node) cw ON cw.node = req.caller_node
),
o AS (
  SELECT j.*,
         CASE
           WHEN reply_recv_seq IS NOT NULL THEN 'reply'
           -- (a caller gone before the reply was sent never got it, whether or not its receives were traced)
           WHEN reply_seq IS NOT NULL AND NOT caller_receives_traced AND NOT caller_gone_before_reply THEN 'reply'
           -- a reply sent to a caller on a node whose recording had ended (several nodes never stop at once), the
           -- caller still waiting then: answered as far as the trace can tell, like a caller whose receives were not traced
           WHEN reply_seq IS NOT NULL AND reply_sent_at > caller_node_last_ts AND caller_went_on_at IS NULL AND caller_exited_at IS NULL THEN 'reply'
           -- the caller received the call's :DOWN: no reply came (it would have come first, and gen:call drops the
           -- monitor when it takes one), so no drop can have hidden it
           WHEN reply_seq IS NULL AND callee_down_at IS NOT NULL THEN 'callee_exit'
           -- the reply (its send, or the caller's receive) may be among events the recorder dropped before the caller
           -- went on (even a traced timeout: a \`receive ... after\` of its own, after the reply it took, may be it)
           WHEN ${dropBetween('caller_node, callee_node', 'sent_at', 'coalesce(caller_went_on_at, caller_exited_at)')} THEN 'in_drop'
           -- (not once the caller had given up: a callee that exits after it, stuck in a deadlock or stopped with its
           -- application, did not end that call)
           WHEN reply_seq IS NULL AND callee_exited_at IS NOT NULL AND callee_exited_at >= sent_at
            AND (caller_went_on_at IS NULL OR callee_exited_at <= caller_went_on_at) THEN 'callee_exit'
           -- a caller killed while it waited (\`exit(pid, :kill)\`, a linked process's exit, a shutdown) did not give
           -- up: the reply it never got came after its exit, nothing shows it went on before, and its exit reason is
           -- an exit signal's, not one it would exit with itself after giving up (\`:normal\`, a timeout, the results
           -- a multi_call or erpc helper hands back)
           WHEN caller_gone_before_reply AND caller_went_on_at IS NULL AND ${KILLED_WAITING('caller_exit_reason')} THEN 'caller_exit'
           WHEN reply_seq IS NOT NULL OR caller_went_on_at IS NOT NULL OR caller_exit_reason LIKE '%timeout%' THEN 'timeout'
           WHEN caller_exited_at IS NOT NULL THEN 'caller_exit'
           ELSE 'pending'
         END AS outcome
  FROM j
)
SELECT call_seq, caller_pid, callee_pid, request, reply, sent_at,
       CASE WHEN outcome = 'reply' THEN coalesce(reply_received_at, reply_sent_at) END AS replied_at,
       CASE outcome
         WHEN 'reply' THEN coalesce(reply_received_at, reply_sent_at)
         WHEN 'callee_exit' THEN CASE WHEN callee_exited_at >= sent_at THEN callee_exited_at ELSE callee_down_at END
         WHEN 'timeout' THEN coalesce(caller_went_on_at, caller_exited_at)
         WHEN 'caller_exit' THEN caller_exited_at
       END - sent_at AS latency_ns,
       outcome, caller_node, callee_node, reply_seq, tag, request_recv_seq, reply_recv_seq
FROM o
ORDER BY call_seq`,
  'DROP TABLE call_req',
  'DROP TABLE call_went',
  'DROP TABLE call_down',
  'DROP TABLE call_recv',
];

/**
 * A reply sent to a call's alias (\`[:alias | ref]\` tags, OTP 24+) after the
 * caller gave up never reaches the caller: gen:call deactivated the alias
 * when it timed out, and the runtime drops messages to an inactive alias (a dead process's aliases are all
 * inactive: a reply after the caller's exit, outcome \`caller_exit\`, goes the same way; so does Task.await, whose
 * alias is the Task's monitor). It
 * is not in any mailbox, so it is neither queued nor lost at an exit. On \`table\` (\`messages\`, or the streaming
 * pass's beside it).
 */
export const markDroppedReplies = (table = 'messages') => `
UPDATE ${table} SET status = 'alias_inactive'
WHERE recv_seq IS NULL AND (send_seq IN (
  SELECT c.reply_seq FROM calls c JOIN events e ON e.seq = c.reply_seq
  WHERE c.outcome IN ('timeout', 'caller_exit') AND c.reply_recv_seq IS NULL AND starts_with(e.peer, '#Reference<')
) OR send_seq IN (
  -- any other alias of a process whose receives were traced that never got it while alive (a Task's reply after
  -- Task.await timed out, a second message to an \`alias([:reply])\`): a message to an active alias shows as a receive
  -- when it arrives; unless the recorder dropped events on its node from then on (in_drop: markInDrop). Sent after
  -- that process exited, it reached no mailbox either: a dead process's aliases are all inactive.
  SELECT m.send_seq FROM ${table} m JOIN events e ON e.seq = m.send_seq
  LEFT JOIN processes p ON p.node = m.to_node AND p.pid = m.to_pid
  WHERE m.recv_seq IS NULL AND m.status IN ('queued_at_end', 'receiver_exited') AND e.kind = 'send' AND starts_with(e.peer, '#Reference<')
    AND (p.exited_at <= m.sent_at OR NOT ${dropBetween('m.to_node', 'm.sent_at', 'p.exited_at')})
))`;

/**
 * One step of the build: the statements that make some tables (views, macros)
 * ready, in the order the engine runs them. A step may read anything made by
 * the steps before it that are not \`onUse\`; nothing reads an \`onUse\` step's
 * tables but the views (they come last). The engine builds the first
 * FIRST_VIEW_STEPS, answers the Overview and the process list, then builds the
 * rest behind them, one statement at a time (engine.ts, table-builds.ts).
 */
export interface BuildStep {
  /** The table users know this step by (progress, "building messages…"). */
  name: string;
  /** Tables, views and macros ready once this step is done (a table a later step still changes is not listed here). */
  makes: readonly string[];
  sql: readonly (string | symbol)[];
  /** Built when a view needs it, not behind every load (few users open it). */
  onUse?: boolean;
  /**
   * No later step reads what it makes: built behind every load as the others are, but waiting for a later step's
   * tables (\`Engine.ready\`, a CLI command that reads some tables) does not build it.
   */
  leaf?: boolean;
}

/**
 * The ingest tables the first view does not read. On DuckDB-WASM ingest keeps
 * their Arrow batches and the engine inserts them after the first view is built
 * (at 1M ping-pong events ~1.6 s of CPU, \`call_msgs_raw\` most of it), one
 * statement per table, unless they grew past what it holds back; native DuckDB
 * takes them as they come (engine.ts holdsBack).
 */
export const DEFERRED_RAW_TABLES = ['states_raw', 'call_msgs_raw', 'consumed_raw', 'state_changes_raw'] as const;

/** The build statement that inserts a deferred ingest table's held-back batches: one symbol per table. */
export const INSERT_DEFERRED = new Map<symbol, string>(DEFERRED_RAW_TABLES.map((t) => [Symbol(`insert ${t}`), t]));

/** Every table of docs/SCHEMA.md, step by step, in dependency order. */
export const BUILD_STEPS: readonly BuildStep[] = [
  { name: 'events', makes: ['events'], sql: [BUILD_EVENTS] },
  { name: 'processes', makes: ['processes'], sql: [BUILD_PROCESSES] },
  { name: 'ingest tables', makes: DEFERRED_RAW_TABLES, sql: [...INSERT_DEFERRED.keys()] },
  { name: 'drops', makes: ['drops'], sql: [BUILD_DROPS] },
  { name: 'registrations', makes: ['registrations', 'name_at'], sql: [BUILD_REGISTRATIONS, CREATE_NAME_AT] },
  {
    name: 'send_targets',
    makes: ['send_targets'],
    sql: [BUILD_NAMED_SENDS, BUILD_CALL_ALIASES, BUILD_SEND_TARGETS, 'DROP TABLE named_sends', 'DROP TABLE call_aliases'],
  },
  { name: 'consumed', makes: ['consumed'], sql: [BUILD_CONSUMED] },
  // messages is complete once calls marked the replies no mailbox received
  { name: 'messages', makes: [], sql: [...BUILD_MESSAGES, signalSenders()] },
  { name: 'calls', makes: ['calls', 'messages', 'signal_lines'], sql: [...BUILD_CALLS, markDroppedReplies(), ...markInDrop(), BUILD_SIGNAL_LINES] },
  {
    name: 'call_groups',
    makes: ['call_shapes', 'call_groups', 'latency_bucket', 'latency_bucket_lo', 'latency_histogram'],
    sql: BUILD_CALL_GROUPS,
    leaf: true,
  },
  // the streaming pass writes spans (BUILD_SPANS is streamed); which calls' returns drops hid is marked on either
  { name: 'spans', makes: ['spans'], sql: [...BUILD_SPANS, ...markSpansInDrop()] },
  { name: 'states', makes: ['states'], sql: BUILD_STATES },
  { name: 'state_changes', makes: ['state_changes'], sql: [BUILD_STATE_CHANGES], leaf: true },
  { name: 'mailbox_depth', makes: ['mailbox_depth'], sql: BUILD_MAILBOX_DEPTH },
  {
    name: 'links',
    makes: ['links', 'alive_at', 'state_at', 'mailbox_at', 'links_at', 'tree_at', 'mailbox_depth_buckets', 'state_size_buckets'],
    sql: [BUILD_LINKS, ...CREATE_AT_MACROS, ...CREATE_BUCKET_MACROS],
    leaf: true,
  },
  { name: 'anomalies', makes: ['params', 'anomalies', 'anomaly_events', 'duration_text'], sql: BUILD_ANOMALIES_STEPS },
  { name: 'causal_links', makes: ['causal_links', 'causes', 'effects'], sql: BUILD_CAUSALITY, onUse: true },
];

/**
 * The build statements whose table DuckDB-WASM builds one range of events at a time on a big load
 * (sql/event-ranges.ts), each with the expression of its rows' event. Not a statement that runs a window over all
 * events: each range would compute it all again (states and mailbox_depth run theirs over narrow rows first; calls
 * reads what needs every call from small tables built before it). mailbox_depth and causal_links are built in ranges
 * of their own (system-at.ts mailboxDepthInRanges, causality.ts causalLinksInRanges).
 */
export const BUILD_IN_EVENT_RANGES: ReadonlyMap<string, string> = new Map([
  [BUILD_SEND_TARGETS, 'seq'],
  [BUILD_CONSUMED, 'seq'],
  [tableStatement(BUILD_MESSAGES, 'messages'), 'coalesce(send_seq, recv_seq)'],
  [tableStatement(BUILD_CALLS, 'calls'), 'call_seq'],
  [tableStatement(BUILD_SPANS, 'span_a'), 'call_seq'],
  [tableStatement(BUILD_SPANS, 'spans'), 'call_seq'],
  [tableStatement(BUILD_STATES, 'states'), 'seq'],
  [BUILD_STATE_CHANGES, 'seq'],
  [tableStatement(BUILD_MAILBOX_DEPTH, 'mailbox_d'), 'in_seq'],
]);

/**
 * The build statements whose table DuckDB-WASM builds one part of a key's values at a time on a big load, as many
 * parts as event ranges (sql/event-ranges.ts inKeyParts), each with its key: tables whose rows group by that key.
 */
export const BUILD_IN_KEY_PARTS: ReadonlyMap<string, string> = new Map([
  [tableStatement(BUILD_CALLS, 'call_g'), 'tag_id'],
  [tableStatement(BUILD_CALLS, 'call_req'), 'tag_id'],
]);

function tableStatement(statements: readonly string[], table: string): string {
  const sql = statements.find((s) => new RegExp(`^\\s*CREATE OR REPLACE TABLE ${table} AS\\s`).test(s));
  if (sql === undefined) throw new Error(`no statement builds ${table}`);
  return sql;
}

/** The steps that must be done before the Overview and the process list can answer (events and processes). */
export const FIRST_VIEW_STEPS = 2;

/** The SQL engine.ts runs after each load, in dependency order (the deferred ingest tables are inserted before it). */
export const BUILD_ALL: string[] = BUILD_STEPS.flatMap((s) => s.sql.filter((q): q is string => typeof q === 'string'));

/** Where the streaming analyses (src/engine/stream) run among the SQL builds. */
export const STREAM_STEP = Symbol('stream analyses');
/** Where the streaming pass's mailbox_depth is written: after \`calls\` marked the replies no mailbox received. */
export const STREAM_MAILBOX_STEP = Symbol('stream mailbox_depth');

/**
 * The statements the streaming pass replaces: it writes \`send_targets\`,
 * \`messages\`, \`spans\`, \`causal_links\` and \`mailbox_depth\` itself (the
 * SQL stays as the reference the tests hold it to, and behind
 * \`analyses: 'sql'\` for the bench).
 */
const STREAMED = new Set<string>([
  BUILD_NAMED_SENDS,
  BUILD_CALL_ALIASES,
  BUILD_SEND_TARGETS,
  'DROP TABLE named_sends',
  'DROP TABLE call_aliases',
  ...BUILD_MESSAGES,
  ...BUILD_SPANS,
  ...BUILD_CAUSAL_LINKS,
  ...BUILD_MAILBOX_DEPTH,
]);

const streamed = (sql: string | symbol): (string | symbol)[] =>
  sql === BUILD_NAMED_SENDS
    ? [STREAM_STEP]
    : sql === BUILD_MAILBOX_DEPTH[0]
      ? [STREAM_MAILBOX_STEP]
      : typeof sql === 'string' && STREAMED.has(sql)
        ? []
        : [sql];

/**
 * BUILD_STEPS with the streaming pass in place of the statements it replaces (where the named sends were
 * resolved). The pass writes spans and causal_links too; their steps keep only what the pass does not replace.
 */
export const BUILD_STEPS_STREAMED: readonly BuildStep[] = BUILD_STEPS.map((s) => ({ ...s, sql: s.sql.flatMap(streamed) }));
