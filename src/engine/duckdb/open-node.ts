import { createRequire } from 'node:module';
import path from 'node:path';
import { STARTUP_SQL, type DuckDb } from './types';

const require = createRequire(import.meta.url);

/** Opens DuckDB-WASM's Node blocking build: the same engine the browser runs. */
export async function openNodeDuckDb(): Promise<DuckDb> {
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
  const mod = (db as unknown as { mod?: { HEAPU8?: Uint8Array } }).mod;
  return {
    conn,
    version: db.getVersion(),
    wasmBytes: () => mod?.HEAPU8?.buffer.byteLength ?? 0,
    close: () => {
      conn.close();
      // Frees the instance (the bench opens many); the wasm memory itself is released with the module.
      (db as unknown as { reset?: () => void }).reset?.();
    },
  };
}
