import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Engine, LoadReport } from '../engine/engine';
import type { EngineConnection } from '../engine/duckdb/connection';
import { openNativeConnection } from '../engine/duckdb/native-node';
import { PARAM_MACRO } from '../engine/sql/anomalies';
import { CREATE_AT_MACROS } from '../engine/sql/system-at';
import { CREATE_CAUSAL_MACROS } from '../engine/sql/causality';
import { DURATION_MACROS } from '../engine/analyses/duration';
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
  'drops',
];

type Load = (files: string[], options?: { allowedDirectories?: string[] }) => Promise<{ engine: Engine; report: LoadReport }>;

/**
 * `otpscope export FILE... --parquet DIR`: native DuckDB writes the Parquet files (DuckDB-WASM's writer is an
 * internet download). With the native engine the tables are written from the engine's own database, which may
 * write into DIR and nowhere else; with `--engine wasm` each table is first copied into a native database.
 */
export async function exportParquet(args: string[], load: Load): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { parquet: { type: 'string' } } });
  if (values.parquet === undefined) throw new CliError('export needs --parquet DIR');
  const dir = path.resolve(values.parquet);
  await mkdir(dir, { recursive: true });
  const { engine } = await load(positionals, { allowedDirectories: [dir] });
  const target = engine.db.kind === 'native' ? engine.db : await openNativeConnection({ allowedDirectories: [dir] });
  try {
    for (const t of EXPORT_TABLES) {
      const cols = engine.query(`DESCRIBE ${t}`).rows.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
      if (target !== engine.db) copyTable(engine, target, t, cols);
      const rows = Number(target.query(`SELECT count(*) FROM ${t}`).rows[0][0]);
      const out = path.join(dir, t);
      await rm(out, { recursive: true, force: true });
      await mkdir(out, { recursive: true });
      // A table with no rows still gets one (empty) file, so that its glob matches and its columns are known.
      const byNode = rows > 0 && cols.some((c) => c.name === 'node');
      target.query(
        byNode
          ? `COPY ${t} TO ${quote(out)} (FORMAT parquet, PARTITION_BY (node), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true)`
          : `COPY ${t} TO ${quote(path.join(out, 'data_0.parquet'))} (FORMAT parquet)`,
      );
      console.log(`${t}/: ${rows} rows${byNode ? ', by node' : ''}`);
    }
  } finally {
    if (target !== engine.db) target.close();
  }
  await writeFile(path.join(dir, 'load.sql'), loadSql());
  console.log('load.sql: the tables and macros over these files (run it from this folder in native DuckDB)');
  return 0;
}

/** One engine table into the native database that writes the files, with the same column types. */
function copyTable(engine: Engine, target: EngineConnection, table: string, cols: { name: string; type: string }[]): void {
  target.query(`CREATE OR REPLACE TABLE ${table} (${cols.map((c) => `"${c.name}" ${c.type}`).join(', ')})`);
  target.insertArrowIpc(table, engine.queryArrowIpc(`SELECT * FROM ${table}`));
}

/**
 * DIR/load.sql: every exported table as a view over its files (paths relative to DIR; the node column is in
 * the files, so hive partitioning is not needed to read it back), then the analysis macros of docs/SCHEMA.md.
 */
export function loadSql(): string {
  const views = EXPORT_TABLES.map((t) => `CREATE OR REPLACE VIEW ${t} AS SELECT * FROM read_parquet('${t}/**/*.parquet', hive_partitioning = false);`);
  return `-- otpscope export: run from this folder, e.g. \`duckdb -c ".read load.sql" -c "SELECT * FROM anomalies"\`\n${views.join('\n')}\n${[
    PARAM_MACRO,
    ...DURATION_MACROS,
    ...CREATE_AT_MACROS,
    ...CREATE_CAUSAL_MACROS,
  ]
    .map((s) => `${s.trim()};`)
    .join('\n')}\n`;
}

function quote(p: string): string {
  return `'${p.replace(/'/g, "''")}'`;
}
