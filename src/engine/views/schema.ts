import { readRows, type Sql } from './rows';

/** The relations docs/SCHEMA.md documents, in the order the SQL console lists them; anything else is internal. */
export const PUBLIC_TABLES = [
  'events',
  'processes',
  'messages',
  'calls',
  'states',
  'state_changes',
  'spans',
  'anomalies',
  'anomaly_events',
  'meta',
  'links',
  'mailbox_depth',
  'causal_links',
  'params',
  'sources',
  'consumed',
];

export interface SchemaListing {
  tables: { name: string; internal: boolean; columns: { name: string; type: string }[] }[];
  /** Table macros with their parameters, e.g. `mailbox_at(t)`. */
  macros: string[];
}

/** Every table and view of the analysis database with its columns (public ones first), and the table macros. */
export async function schemaListing(sql: Sql): Promise<SchemaListing> {
  const cols = readRows(
    'schema columns',
    await sql(
      `SELECT table_name, column_name, data_type FROM duckdb_columns()
       WHERE NOT internal AND database_name = 'otpscope' AND schema_name = 'main' ORDER BY table_name, column_index`,
      1_000_000,
    ),
    { table_name: 'text', column_name: 'text', data_type: 'text' },
  );
  const macros = readRows(
    'schema macros',
    await sql(
      `SELECT DISTINCT function_name, parameters::VARCHAR AS parameters FROM duckdb_functions()
       WHERE function_type = 'table_macro' AND NOT internal AND database_name = 'otpscope' AND schema_name = 'main' ORDER BY function_name`,
    ),
    { function_name: 'text', parameters: 'text?' },
  );
  const tables = new Map<string, { name: string; type: string }[]>();
  for (const c of cols) {
    if (!tables.has(c.table_name)) tables.set(c.table_name, []);
    tables.get(c.table_name)!.push({ name: c.column_name, type: c.data_type });
  }
  const rank = (t: string) => (PUBLIC_TABLES.includes(t) ? PUBLIC_TABLES.indexOf(t) : 100 + (t.endsWith('_raw') ? 50 : 0));
  return {
    tables: [...tables.entries()]
      .sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))
      .map(([name, columns]) => ({ name, internal: !PUBLIC_TABLES.includes(name), columns })),
    macros: macros.map((m) => `${m.function_name}(${(m.parameters ?? '').replace(/^\[|\]$/g, '').replace(/"/g, '')})`),
  };
}
