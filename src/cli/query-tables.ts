import { BUILD_STEPS } from '../engine/sql/build';
import { tablesNamedIn } from '../engine/table-builds';

/**
 * The tables (views, macros) a query's SQL names, as the analyzer's SQL console builds them (words matching what
 * the build steps make): only those and the steps before them are built, so \`SELECT … FROM events\` does not wait
 * for the whole analysis. Undefined (every table) when it names none, or reads the catalog, whose listing must
 * show every table.
 */
export function queryTables(sql: string): string[] | undefined {
  if (/\b(information_schema|pg_catalog|duckdb_\w+|show|describe|summarize|pragma)\b/i.test(sql)) return undefined;
  const named = tablesNamedIn(
    sql,
    BUILD_STEPS.flatMap((s) => s.makes),
  );
  return named.length > 0 ? named : undefined;
}

/**
 * The tables several queries name together (\`otpscope check\`'s checks), with \`also\` (what the caller itself reads);
 * undefined (every table) when any query would build every table on its own.
 */
export function queriesTables(sqls: readonly string[], also: readonly string[] = []): string[] | undefined {
  const all = new Set(also);
  for (const sql of sqls) {
    const named = queryTables(sql);
    if (named === undefined) return undefined;
    for (const t of named) all.add(t);
  }
  return [...all].sort();
}
