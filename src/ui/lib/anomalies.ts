import { has } from './capabilities';
import type { Session } from './session.svelte';

/**
 * The anomalies relation `(kind, severity, node, pid, ts, seq, summary)`:
 * the engine's `anomalies` table when it exists (docs/SCHEMA.md), else a
 * stand-in computed here from the plain tables (crashes, restart loops, call
 * timeouts, sends to dead processes, drops, messages never received), so the
 * overview and the anomalies list work before the analyses land.
 */
export async function anomaliesRelation(session: Session): Promise<{ sql: string; native: boolean }> {
  if (await has(session, 'anomalies')) return { sql: 'SELECT kind, severity, node, pid, ts, seq, summary FROM anomalies', native: true };
  return { sql: FALLBACK, native: false };
}

export const SEVERITY_ORDER = `CASE lower(severity) WHEN 'critical' THEN 0 WHEN 'error' THEN 1 WHEN 'high' THEN 1 WHEN 'warning' THEN 2 WHEN 'medium' THEN 2 ELSE 3 END`;

const ABNORMAL = `exit_reason IS NOT NULL AND exit_reason NOT IN (':normal', ':shutdown', 'normal', 'shutdown') AND exit_reason NOT LIKE '{:shutdown,%'`;

const FALLBACK = `
SELECT 'crash' AS kind, 'error' AS severity, p.node, p.pid, p.exited_at AS ts,
       (SELECT max(e.seq) FROM events e WHERE e.node = p.node AND e.pid = p.pid AND e.kind = 'exit') AS seq,
       coalesce(p.name || ' ', '') || p.pid || ' crashed: ' || p.exit_reason AS summary
FROM processes p WHERE ${ABNORMAL} AND p.exited_at IS NOT NULL
UNION ALL
SELECT 'restart_loop', 'error', node, any_value(pid ORDER BY spawned_at DESC), max(spawned_at),
       (SELECT max(e.seq) FROM events e WHERE e.kind = 'spawn' AND e.peer = any_value(p.pid ORDER BY spawned_at DESC)),
       name || ' started ' || count(*) || ' times, ' || count(*) FILTER (WHERE ${ABNORMAL}) || ' crashed'
FROM processes p WHERE name IS NOT NULL AND spawned_at IS NOT NULL GROUP BY node, name HAVING count(*) >= 3
UNION ALL
SELECT 'call_timeout', 'warning', caller_node, caller_pid, sent_at, call_seq, 'call to ' || callee_pid || ' got no reply: ' || request
FROM calls WHERE outcome = 'timeout'
UNION ALL
SELECT 'send_to_dead', 'warning', node, pid, ts, seq, 'sent to a dead process ' || coalesce(peer, '?') || ': ' || coalesce(term, '')
FROM events WHERE kind = 'send_to_dead'
UNION ALL
SELECT 'drop', 'warning', node, pid, ts, seq, 'the recorder dropped events: ' || coalesce(term, '')
FROM events WHERE kind = 'drop'
UNION ALL
SELECT 'mailbox_growth', 'warning', to_node, to_pid, max(sent_at), max(send_seq), count(*) || ' messages still queued at the end of the recording'
FROM messages WHERE status = 'queued_at_end' GROUP BY to_node, to_pid HAVING count(*) >= 10
`;
