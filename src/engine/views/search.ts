/**
 * Search over everything loaded (the analyzer's omnibox): processes by pid,
 * registered name, initial call and module; events by pid, peer, function and
 * payload text (messages, arguments, return values, exit reasons, states).
 * Matching is a case-insensitive substring test. Matches come back in trace
 * order (processes first, by spawn time), each with what it takes to select
 * it everywhere: an event's seq and time, a process's node and pid.
 */
import { readRows, sqlString, type RowOf, type Sql } from './rows';

const MATCH = {
  /** `process`, or the event's kind (send, receive, call, state, ...). */
  kind: 'text',
  seq: 'int?',
  ts: 'big?',
  node: 'text',
  pid: 'text?',
  /** Which field matched: pid, name, initial_call, module, peer, mfa, term. */
  field: 'text',
  /** The matching field's text: 300 characters around the first match. */
  text: 'text',
  /** Every match, not only the rows returned. */
  total: 'int',
} as const;
export type SearchMatch = Omit<RowOf<typeof MATCH>, 'total'>;

export interface SearchResult {
  matches: SearchMatch[];
  /** All matches, also those past `limit`. */
  total: number;
}

/** Finds `text` in processes and events; an empty or blank query finds nothing. */
export async function searchTrace(sql: Sql, text: string, limit = 1000): Promise<SearchResult> {
  const q = text.trim().toLowerCase();
  if (q === '') return { matches: [], total: 0 };
  const needle = sqlString(q);
  // The first matching field names why the row matched (a pid before a payload that mentions it).
  const first = (fields: string[], alias: string) => `CASE ${fields.map((f) => `WHEN contains(lower(${alias}.${f}), ${needle}) THEN '${f}'`).join(' ')} END`;
  const textOf = (fields: string[], alias: string) =>
    `CASE ${fields.map((f) => `WHEN contains(lower(${alias}.${f}), ${needle}) THEN ${alias}.${f}`).join(' ')} END`;
  const P = ['pid', 'name', 'initial_call', 'module'];
  const E = ['pid', 'peer', 'mfa', 'term'];
  const r = await sql(
    `WITH hits AS (
       SELECT 0 AS grp, 'process' AS kind, NULL::BIGINT AS seq, p.spawned_at AS ts, p.node, p.pid,
              ${first(P, 'p')} AS field, ${textOf(P, 'p')} AS text
       FROM processes p WHERE ${P.map((f) => `contains(lower(p.${f}), ${needle})`).join(' OR ')}
       UNION ALL
       SELECT 1, e.kind, e.seq, e.ts, e.node, e.pid, ${first(E, 'e')}, ${textOf(E, 'e')}
       FROM events e WHERE ${E.map((f) => `contains(lower(e.${f}), ${needle})`).join(' OR ')}
     )
     SELECT kind, seq, ts, node, pid, field, substr(text, greatest(1, strpos(lower(text), ${needle}) - 100), 300) AS text,
            (count(*) OVER ())::BIGINT AS total
     FROM hits ORDER BY grp, ts NULLS FIRST, seq, node, pid LIMIT ${Math.max(1, Math.floor(limit))}`,
  );
  const rows = readRows('search', r, MATCH);
  return { matches: rows.map(({ total: _, ...m }) => m), total: rows[0]?.total ?? 0 };
}
