import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Engine, LoadReport } from '../engine/engine';
import { CliError } from './load-files';

/** The tables of docs/SCHEMA.md that `export` writes (enough to run every macro natively on the Parquet files). */
export const EXPORT_TABLES = [
  'meta',
  'events',
  'processes',
  'states',
  'state_changes',
  'messages',
  'calls',
  'spans',
  'consumed',
  'mailbox_depth',
  'links',
  'causal_links',
  'params',
  'anomalies',
  'anomaly_events',
  'supervision',
];

/** `otpscope export FILE... --parquet DIR` (native DuckDB writes the Parquet files). */
export async function exportParquet(args: string[], load: (files: string[]) => Promise<{ engine: Engine; report: LoadReport }>): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { parquet: { type: 'string' } } });
  if (values.parquet === undefined) throw new CliError('export needs --parquet DIR');
  const dir = path.resolve(values.parquet);
  const { engine } = await load(positionals);
  await mkdir(dir, { recursive: true });
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    for (const t of EXPORT_TABLES) {
      const n = await copyTableToNative(engine, conn, t);
      await conn.run(`COPY ${t} TO '${path.join(dir, `${t}.parquet`).replace(/'/g, "''")}' (FORMAT parquet)`);
      console.log(`${t}.parquet: ${n} rows`);
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  return 0;
}

/**
 * Recreates one engine table in a native DuckDB connection with the same
 * column types (DESCRIBE), rows moved through the appender: BIGINT stays
 * BIGINT, no text round trip. Returns the row count.
 */
export async function copyTableToNative(engine: Engine, conn: DuckDBConnection, table: string): Promise<number> {
  const cols = engine.query(`DESCRIBE ${table}`).rows.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
  await conn.run(`CREATE OR REPLACE TABLE ${table} (${cols.map((c) => `"${c.name}" ${c.type}`).join(', ')})`);
  const data = engine.query(`SELECT * FROM ${table}`, Number.MAX_SAFE_INTEGER);
  const app = await conn.createAppender(table);
  for (const row of data.rows) {
    row.forEach((v, i) => {
      if (v === null) return app.appendNull();
      switch (cols[i].type) {
        case 'BIGINT':
          return app.appendBigInt(BigInt(v as number | bigint));
        case 'INTEGER':
          return app.appendInteger(Number(v));
        case 'DOUBLE':
          return app.appendDouble(Number(v));
        case 'BOOLEAN':
          return app.appendBoolean(Boolean(v));
        case 'VARCHAR':
          return app.appendVarchar(String(v));
        default:
          throw new Error(`export: ${table}.${cols[i].name} has type ${cols[i].type}, which export does not handle`);
      }
    });
    app.endRow();
  }
  app.closeSync();
  return data.rows.length;
}
