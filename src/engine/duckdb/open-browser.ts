import { BROWSER_RUNTIME, VoidLogger, createDuckDB } from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';
import { openBindings, type DuckDb } from './types';
import { glueView } from './glue-exports';
import { glueImports } from './glue-imports';
import { duckDbWasm } from './wasm-module';
import { OPFS_FOLDER, opfsStorage, removeEarlierSessions } from './opfs';

// The start-up's performance marks (otpscope:*) are read by the start-up bench (bench/browser/startup.mjs).
performance.mark('otpscope:worker-modules');

/**
 * Opens DuckDB-WASM inside the engine worker, from the module ./wasm-module compiles (usually already under
 * way: the worker's entry starts it). Nothing is fetched from another origin. The tables start in memory; a
 * load too big for it moves them to a database file in OPFS (./opfs, `disk`).
 */
export async function openBrowserDuckDb(): Promise<DuckDb> {
  // DuckDB-WASM only reads the bundle matching the browser's features; both name the one wasm we ship.
  const bundles = { mvp: { mainModule: '', mainWorker: '' }, eh: { mainModule: '', mainWorker: '' } };
  const db = await createDuckDB(bundles, new VoidLogger(), BROWSER_RUNTIME);
  instantiateFromModule(db);
  const opened = await openBindings(db, { diskFolder: OPFS_FOLDER });
  // Database files of pages closed earlier: removed in the background.
  void removeEarlierSessions();
  return { ...opened, disk: opfsStorage(db) };
}

/** Replaces DuckDB-WASM's own fetch and compile: the glue gets an instance of our compiled module. */
function instantiateFromModule(db: object): void {
  const bindings = db as { _runtime?: unknown; instantiateWasm?: unknown };
  bindings.instantiateWasm = (imports: WebAssembly.Imports, done: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) => {
    (globalThis as { DUCKDB_RUNTIME?: unknown }).DUCKDB_RUNTIME = bindings._runtime;
    duckDbWasm()
      .then(async (module) => {
        const instance = await WebAssembly.instantiate(module, glueImports(imports));
        performance.mark('otpscope:instantiated');
        done(glueView(instance), module);
      })
      .catch((e: unknown) => console.error('DuckDB-WASM failed to compile', e));
    return [];
  };
}
