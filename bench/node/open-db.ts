/** DuckDB-WASM's Node blocking build opened like src/engine/duckdb/open-node.ts, keeping the instance so the bench can read its wasm memory size. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { STARTUP_SQL } from '../../src/engine/duckdb/types';
import type { BenchDb } from '../core/load-run';

const require = createRequire(import.meta.url);

export async function openNodeBenchDb(): Promise<BenchDb> {
  const entry = require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs');
  const duck = require(entry) as typeof import('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs');
  const dist = path.dirname(entry);
  const bundles = {
    mvp: { mainModule: path.join(dist, 'duckdb-mvp.wasm'), mainWorker: '' },
    eh: { mainModule: path.join(dist, 'duckdb-eh.wasm'), mainWorker: '' },
  };
  const db = await duck.createDuckDB(bundles, new duck.VoidLogger(), duck.NODE_RUNTIME);
  await db.instantiate(() => {});
  db.open({});
  const conn = db.connect();
  for (const sql of STARTUP_SQL) conn.query(sql);
  const mod = (db as unknown as { mod: { HEAPU8: Uint8Array } }).mod;
  return {
    db: {
      conn,
      version: db.getVersion(),
      close: () => {
        conn.close();
        (db as unknown as { reset?: () => void }).reset?.();
      },
    },
    wasmBytes: () => mod.HEAPU8.buffer.byteLength,
  };
}
