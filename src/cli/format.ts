import type { Cell, QueryResult } from '../engine/result';

/** Formats query results for the terminal: an aligned table, JSON lines, or CSV. */
export function formatResult(r: QueryResult, mode: 'table' | 'json' | 'csv'): string {
  if (mode === 'json') {
    return r.rows.map((row) => jsonLine(Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])))).join('\n');
  }
  if (mode === 'csv') {
    const lines = [r.columns.map((c) => csvCell(c.name)).join(',')];
    for (const row of r.rows) lines.push(row.map((v) => csvCell(v === null ? '' : String(v))).join(','));
    return lines.join('\n');
  }
  const head = r.columns.map((c) => c.name);
  const body = r.rows.map((row) => row.map((v) => (v === null ? 'NULL' : String(v))));
  const widths = head.map((h, i) => Math.min(80, Math.max(h.length, ...body.map((row) => row[i].length))));
  const fit = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => fit(c, widths[i]))
      .join(' │ ')
      .trimEnd();
  const out = [line(head), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...body.map(line)];
  out.push(`(${r.totalRows} row${r.totalRows === 1 ? '' : 's'}${r.totalRows > r.rows.length ? `, first ${r.rows.length} shown` : ''})`);
  return out.join('\n');
}

/** JSON with 64-bit integers written as exact number literals (nanosecond timestamps exceed 2^53). */
export function jsonExact(o: unknown, indent?: number): string {
  return JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? `\u0000big:${v}` : v), indent).replace(/"\\u0000big:(-?\d+)"/g, '$1');
}

function jsonLine(o: Record<string, Cell>): string {
  return jsonExact(o);
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
