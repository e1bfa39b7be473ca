import { createRequire } from 'node:module';
import path from 'node:path';
import { openBindings, type DuckDb, type OpenOptions } from './types';
import { narrowGlueExports } from './glue-exports';
import { nullMediaPointers } from './glue-imports';

const require = createRequire(import.meta.url);

/** Opens DuckDB-WASM's Node blocking build: the same engine the browser runs. */
export async function openNodeDuckDb(options: OpenOptions = {}): Promise<DuckDb> {
  const entry = require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs');
  const duck = require(entry) as typeof import('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs');
  const dist = path.dirname(entry);
  const bundles = {
    mvp: { mainModule: path.join(dist, 'duckdb-mvp.wasm'), mainWorker: '' },
    eh: { mainModule: path.join(dist, 'duckdb-eh.wasm'), mainWorker: '' },
  };
  const db = await duck.createDuckDB(bundles, new duck.VoidLogger(), duck.NODE_RUNTIME);
  narrowGlueExports(db);
  nullMediaPointers(db);
  return openBindings(db, options);
}
