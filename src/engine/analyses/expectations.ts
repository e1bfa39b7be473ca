import type { Cell, QueryResult } from '../result';

/**
 * Expected vs actual: an expectations file is SQL, a list of named checks,
 * each a query that returns counter-examples (zero rows = pass):
 *
 *     -- check: no call slower than 50 ms
 *     SELECT * FROM calls WHERE latency_ns > 50e6;
 *
 * A check runs until the next `-- check:` line; a trailing `;` is optional.
 * Text before the first check is ignored. Format: docs/EXPECTATIONS.md.
 */
export interface Check {
  name: string;
  sql: string;
  /** 1-based line of the `-- check:` header. */
  line: number;
}

export interface CheckResult {
  name: string;
  line: number;
  passed: boolean;
  /** Counter-example rows (0 when passed). */
  failures: number;
  /** The first counter-example row, as column -> value. */
  first?: Record<string, Cell>;
  /** The event the first counter-example points at (its `seq`, else its first `*_seq` column). */
  event?: Record<string, Cell>;
  /** The query failed to run. */
  error?: string;
  /** The first counter-example rows, when asked for (`rows` option). */
  result?: QueryResult;
}

const HEADER = /^\s*--\s*check:\s*(.+?)\s*$/i;

export function parseExpectations(text: string): Check[] {
  const checks: Check[] = [];
  let cur: { name: string; line: number; lines: string[] } | undefined;
  const close = () => {
    if (cur === undefined) return;
    const sql = cur.lines.join('\n').trim().replace(/;\s*$/, '').trim();
    checks.push({ name: cur.name, line: cur.line, sql });
  };
  text.split(/\r?\n/).forEach((l, i) => {
    const m = HEADER.exec(l);
    if (m) {
      close();
      cur = { name: m[1], line: i + 1, lines: [] };
    } else cur?.lines.push(l);
  });
  close();
  return checks;
}

/**
 * Runs every check with `query` (the engine's); a failing query is a failed
 * check, never a thrown error. With `rows`, each failure keeps its first
 * `rows` counter-examples (the UI lists them).
 */
export async function runExpectations(
  checks: Check[],
  query: (sql: string, maxRows?: number) => QueryResult | Promise<QueryResult>,
  opts: { rows?: number } = {},
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) {
    if (c.sql === '') {
      out.push({ name: c.name, line: c.line, passed: false, failures: 0, error: 'empty check' });
      continue;
    }
    let r: QueryResult;
    try {
      r = await query(c.sql, Math.max(1, opts.rows ?? 1));
    } catch (e) {
      out.push({ name: c.name, line: c.line, passed: false, failures: 0, error: e instanceof Error ? e.message : String(e) });
      continue;
    }
    if (r.totalRows === 0) {
      out.push({ name: c.name, line: c.line, passed: true, failures: 0 });
      continue;
    }
    const first = Object.fromEntries(r.columns.map((col, i) => [col.name, r.rows[0][i]]));
    const seqCol = 'seq' in first ? 'seq' : r.columns.map((x) => x.name).find((n) => n.endsWith('_seq') && first[n] !== null);
    let event: Record<string, Cell> | undefined;
    const seq = seqCol === undefined ? null : first[seqCol];
    if (seq !== null && seq !== undefined && /^-?\d+$/.test(String(seq))) {
      const ev = await query(`SELECT seq, ts, node, pid, kind, peer, mfa, term FROM events WHERE seq = ${String(seq)}`, 1);
      if (ev.rows.length > 0) event = Object.fromEntries(ev.columns.map((col, i) => [col.name, ev.rows[0][i]]));
    }
    out.push({ name: c.name, line: c.line, passed: false, failures: r.totalRows, first, event, result: opts.rows ? r : undefined });
  }
  return out;
}

/** Examples the Expectations view starts with; they run unchanged in `otpscope check`. */
export const EXAMPLE_EXPECTATIONS = `-- check: no process crashes (one killed by the process stopping it, as at a clean stop, is an info or warning crash)
SELECT seq, ts, node, pid, summary FROM anomalies WHERE kind = 'crash' AND severity = 'error';

-- check: every GenServer call is answered within 50 ms
SELECT call_seq AS seq, sent_at AS ts, caller_node AS node, caller_pid AS pid, request, outcome, latency_ns FROM calls
WHERE outcome <> 'reply' OR latency_ns > 50e6;

-- check: no message is sent to a dead process
SELECT seq, ts, node, pid, peer, term FROM events WHERE kind = 'send_to_dead';

-- check: mailboxes never hold more than 100 messages
SELECT node, pid, max(depth) AS depth FROM mailbox_depth GROUP BY ALL HAVING max(depth) > 100;
`;
