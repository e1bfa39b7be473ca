/**
 * A build statement \`CREATE OR REPLACE TABLE t AS <query>\` run as an empty
 * table and one \`INSERT\` per range of events.
 *
 * Why: DuckDB keeps the rows a statement writes uncompressed in the
 * transaction's own storage until it commits, and compresses them only then
 * (the attached in-memory database with COMPRESS, duckdb/types.ts). A table
 * built by one statement so holds all of its rows uncompressed at once: at 5M
 * ping-pong events \`messages\` alone took ~290 MB of DuckDB-WASM's memory that
 * way, and wasm memory never shrinks. Each range commits by itself, so only
 * one range's rows are ever uncompressed.
 *
 * \`key\` is an expression over the query's columns giving each row's event
 * (a \`seq\`, never NULL); DuckDB pushes the range test down to the scans, so a
 * range reads only its own events. The rows come out range after range,
 * each range in the query's own order: a query ordered by that key gives the
 * same table either way.
 */
export function inEventRanges(sql: string, key: string, events: number, rangeEvents: number): string[] {
  const m = /^\s*CREATE OR REPLACE TABLE (\w+) AS\s([\s\S]*)$/.exec(sql);
  if (m === null) throw new Error(`not a CREATE OR REPLACE TABLE … AS statement: ${sql.trim().slice(0, 60)}`);
  const [, table, query] = m;
  if (events <= rangeEvents) return [sql];
  return [
    `CREATE OR REPLACE TABLE ${table} AS SELECT * FROM (${query}) WITH NO DATA`,
    ...eventRanges(events, rangeEvents).map(({ lo, hi }) => `INSERT INTO ${table} SELECT * FROM (${query}) WHERE ${rangeTest(key, lo, hi)}`),
  ];
}

/**
 * The ranges of seq inEventRanges cuts \`events\` into, \`rangeEvents\` each: [lo, hi), the first and last open (null),
 * so no row is left out whatever its seq.
 */
export function eventRanges(events: number, rangeEvents: number): { lo: number | null; hi: number | null }[] {
  const out: { lo: number | null; hi: number | null }[] = [];
  for (let lo = 0; lo < events; lo += rangeEvents) out.push({ lo: lo > 0 ? lo : null, hi: lo + rangeEvents < events ? lo + rangeEvents : null });
  return out;
}

/** \`expr\` in [lo, hi) as SQL (bounds are values or SQL expressions; null is open): '' when both are open. */
export function rangeTest(expr: string, lo: number | bigint | string | null, hi: number | bigint | string | null): string {
  return [lo !== null ? `${expr} >= ${lo}` : '', hi !== null ? `${expr} < ${hi}` : ''].filter((t) => t !== '').join(' AND ');
}

/**
 * As inEventRanges, for a table whose rows group by a key that is no event (a call's tag, a 53-bit hash): an empty
 * table, then one \`INSERT\` per range of the key's values, \`parts\` equal ranges of [0, \`below\`), so every row of
 * one key is in one part and a grouping in \`sql\` sees each key whole. Each part commits (and is compressed) by
 * itself. Ranges, not a hash of the key modulo \`parts\`: DuckDB pushes a range test on a grouping key down to the
 * table scan, and a hash test it applies only after grouping everything. The first and last ranges are open
 * (the first takes NULL too), so no row is left out whatever its key.
 */
export function inKeyParts(sql: string, key: string, parts: number, below = 2 ** 53): string[] {
  const m = /^\s*CREATE OR REPLACE TABLE (\w+) AS\s([\s\S]*)$/.exec(sql);
  if (m === null) throw new Error(`not a CREATE OR REPLACE TABLE … AS statement: ${sql.trim().slice(0, 60)}`);
  const [, table, query] = m;
  if (parts <= 1) return [sql];
  const bound = (i: number) => Math.floor((below / parts) * i);
  const out = [`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM (${query}) WITH NO DATA`];
  for (let i = 0; i < parts; i++) {
    const test =
      i === 0 ? `(${key} < ${bound(1)} OR ${key} IS NULL)` : i === parts - 1 ? `${key} >= ${bound(i)}` : `${key} >= ${bound(i)} AND ${key} < ${bound(i + 1)}`;
    out.push(`INSERT INTO ${table} SELECT * FROM (${query}) WHERE ${test}`);
  }
  return out;
}
