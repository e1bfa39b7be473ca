import { BROWSER_RUNTIME, VoidLogger, createDuckDB } from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';
import ehWasm from '@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url';
import { openBindings, type DuckDb } from './types';

/**
 * Opens DuckDB-WASM inside the engine worker. Only the `eh` build ships: every
 * browser we target has wasm exceptions, and the wasm is served (and
 * precached) from our own origin, so nothing is fetched from elsewhere.
 */
export async function openBrowserDuckDb(): Promise<DuckDb> {
  const bundles = { mvp: { mainModule: ehWasm, mainWorker: '' }, eh: { mainModule: ehWasm, mainWorker: '' } };
  const db = await createDuckDB(bundles, new VoidLogger(), BROWSER_RUNTIME);
  return openBindings(db);
}
