import { createRequire } from 'node:module';
import path from 'node:path';
import { openBindings, type DiskStorage, type DuckDb, type OpenOptions } from './types';
import { narrowGlueExports } from './glue-exports';
import { nullMediaPointers } from './glue-imports';

const require = createRequire(import.meta.url);

/**
 * Opens DuckDB-WASM's Node blocking build: the same engine the browser runs. `ehWasm` is the package's own wasm
 * unless given (test/unit/shipped-wasm.test.ts opens the one the site ships, scripts/duckdb-wasm.ts).
 */
export async function openNodeDuckDb(options: OpenOptions = {}, ehWasm?: string): Promise<DuckDb> {
  const entry = require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs');
  const duck = require(entry) as typeof import('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs');
  const dist = path.dirname(entry);
  const bundles = {
    mvp: { mainModule: path.join(dist, 'duckdb-mvp.wasm'), mainWorker: '' },
    eh: { mainModule: ehWasm ?? path.join(dist, 'duckdb-eh.wasm'), mainWorker: '' },
  };
  const db = await duck.createDuckDB(bundles, new duck.VoidLogger(), duck.NODE_RUNTIME);
  narrowGlueExports(db);
  nullMediaPointers(db);
  return openBindings(db, options);
}

/**
 * A folder of real files standing in for the browser's OPFS (./opfs) under DuckDB-WASM in Node: where the tables
 * go when a load would not fit in memory. Open the database with `diskFolder` set to the same folder (with its
 * trailing separator), the only place DuckDB may then open files.
 */
export function folderDisk(folder: string): DiskStorage {
  let files = 0;
  return { name: folder, prepare: async () => path.join(folder, `otpscope-${process.pid}-${files++}.db`) };
}
