/**
 * File names for exported query results: the archive's name without its
 * extension, what the query is about, and the day, e.g.
 * `bank-calls-2026-12-02.csv`. What the query is about: its `-- name:` or
 * `-- check:` comment when it has one, else the first table it reads.
 */
export function exportName(archive: string | null, sql: string, ext: string, day = new Date()): string {
  const base = (archive ?? 'otpscope')
    .split('+')[0]
    .replace(/\.(zip|trace|log|ti)$/i, '')
    .replace(/[^\w.-]+/g, '_');
  const named = /^\s*--\s*(?:name|check):\s*(.+)$/im.exec(sql)?.[1];
  const table = /\bfrom\s+([A-Za-z_][\w]*)/i.exec(sql.replace(/--.*$/gm, ''))?.[1];
  const about = slug(named ?? table ?? 'query');
  return `${base}-${about}-${day.toISOString().slice(0, 10)}.${ext}`;
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'query'
  );
}
