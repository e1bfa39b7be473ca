import type { QueryResult } from '../../engine/result';

/** RFC 4180 CSV of a query result: every field that needs it quoted, CRLF line ends, NULL as an empty field. */
export function toCsv(r: QueryResult): string {
  const field = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [r.columns.map((c) => field(c.name)).join(',')];
  for (const row of r.rows) lines.push(row.map(field).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** Saves text or bytes as a file through a Blob link (no request leaves the page). */
export function download(name: string, content: string | Uint8Array, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([content as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
