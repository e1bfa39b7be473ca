import { BROWSER_RUNTIME, VoidLogger, createDuckDB } from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';
import ehWasm from '@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url';
import { STARTUP_SQL, type DuckDb } from './types';

/**
 * Opens DuckDB-WASM inside the engine worker. Only the `eh` build ships: every
 * browser we target has wasm exceptions, and the wasm is served (and
 * precached) from our own origin, so nothing is fetched from elsewhere.
 */
export async function openBrowserDuckDb(): Promise<DuckDb> {
  const bundles = { mvp: { mainModule: ehWasm, mainWorker: '' }, eh: { mainModule: ehWasm, mainWorker: '' } };
  const db = await createDuckDB(bundles, new VoidLogger(), BROWSER_RUNTIME);
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
