/**
 * Expectations as SQL: each check is a query whose rows are
 * counter-examples (no rows = pass), named by the `--` comment lines just
 * above it, separated by `;`.
 *
 *   -- no process crashes
 *   SELECT pid, exit_reason FROM processes WHERE exit_reason NOT IN (':normal', ':shutdown');
 */
export interface Check {
  name: string;
  sql: string;
}

export function parseChecks(text: string): Check[] {
  const out: Check[] = [];
  for (const stmt of splitStatements(text)) {
    const lines = stmt.split('\n');
    const comments: string[] = [];
    let i = 0;
    for (; i < lines.length; i++) {
      const l = lines[i].trim();
      if (l === '') continue;
      if (l.startsWith('--')) comments.push(l.replace(/^--\s?/, ''));
      else break;
    }
    const sql = lines.slice(i).join('\n').trim();
    if (!sql) continue;
    out.push({ name: comments.join(' ').trim() || sql.replace(/\s+/g, ' ').slice(0, 80), sql });
  }
  return out;
}

/** Splits on `;` outside quotes and comments. */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      cur += c;
      if (c === q) q = null;
      continue;
    }
    if (c === "'" || c === '"') {
      q = c;
      cur += c;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      cur += text.slice(i, stop);
      i = stop - 1;
    } else if (c === ';') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

export const EXAMPLE_CHECKS = `-- no process crashes
SELECT node, pid, name, exit_reason, exited_at AS ts FROM processes
WHERE exit_reason IS NOT NULL AND exit_reason NOT IN (':normal', ':shutdown') AND exit_reason NOT LIKE '{:shutdown,%';

-- every GenServer call is answered within 50 ms
SELECT call_seq AS seq, sent_at AS ts, caller_node AS node, caller_pid AS pid, request, outcome, latency_ns FROM calls
WHERE outcome <> 'reply' OR latency_ns > 50e6;

-- no message is sent to a dead process
SELECT seq, ts, node, pid, peer, term FROM events WHERE kind = 'send_to_dead';

-- mailboxes never hold more than 100 messages
SELECT node, pid, max(depth) AS depth FROM mailbox_depth GROUP BY ALL HAVING max(depth) > 100;
`;
