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

/** Runs every check with `query` (Engine.query); a failing query is a failed check, never a thrown error. */
export function runExpectations(checks: Check[], query: (sql: string, maxRows?: number) => QueryResult): CheckResult[] {
  return checks.map((c) => {
    if (c.sql === '') return { name: c.name, line: c.line, passed: false, failures: 0, error: 'empty check' };
    let r: QueryResult;
    try {
      r = query(c.sql, 1);
    } catch (e) {
      return { name: c.name, line: c.line, passed: false, failures: 0, error: e instanceof Error ? e.message : String(e) };
    }
    if (r.totalRows === 0) return { name: c.name, line: c.line, passed: true, failures: 0 };
    const first = Object.fromEntries(r.columns.map((col, i) => [col.name, r.rows[0][i]]));
    const seqCol = 'seq' in first ? 'seq' : r.columns.map((x) => x.name).find((n) => n.endsWith('_seq') && first[n] !== null);
    let event: Record<string, Cell> | undefined;
    const seq = seqCol === undefined ? null : first[seqCol];
    if (seq !== null && seq !== undefined && /^-?\d+$/.test(String(seq))) {
      const ev = query(`SELECT seq, ts, node, pid, kind, peer, mfa, term FROM events WHERE seq = ${String(seq)}`, 1);
      if (ev.rows.length > 0) event = Object.fromEntries(ev.columns.map((col, i) => [col.name, ev.rows[0][i]]));
    }
    return { name: c.name, line: c.line, passed: false, failures: r.totalRows, first, event };
  });
}
