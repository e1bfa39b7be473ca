import type { Session } from './session.svelte';

/**
 * Which optional relations and macros the engine has (the analyses land
 * over time: `anomalies`, `state_changes`, `causes`, `sources`, ...). Views
 * use the analysis when it exists and a plain-table fallback otherwise.
 * Cached per load generation.
 */
let cached: { generation: number; names: Promise<Set<string>> } | null = null;

export function relations(session: Session): Promise<Set<string>> {
  if (cached && cached.generation === session.generation) return cached.names;
  const names = session.bridge
    .tryQuery(
      `SELECT table_name AS n FROM duckdb_tables() WHERE NOT internal
       UNION SELECT view_name FROM duckdb_views() WHERE NOT internal
       UNION SELECT function_name FROM duckdb_functions() WHERE function_type IN ('table_macro', 'macro') AND NOT internal`,
    )
    .then((r) => new Set(r.ok ? r.result.rows.map((row) => String(row[0])) : []));
  cached = { generation: session.generation, names };
  return names;
}

export async function has(session: Session, name: string): Promise<boolean> {
  return (await relations(session)).has(name);
}
