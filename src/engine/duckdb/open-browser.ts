import { BROWSER_RUNTIME, VoidLogger, createDuckDB } from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';
import ehWasm from '@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url';
import { openBindings, type DuckDb } from './types';
import { glueView } from './glue-exports';

/**
 * Opens DuckDB-WASM inside the engine worker. Only the `eh` build ships: every
 * browser we target has wasm exceptions, and the wasm is served (and
 * precached) from our own origin, so nothing is fetched from elsewhere.
 */
export async function openBrowserDuckDb(): Promise<DuckDb> {
  const bundles = { mvp: { mainModule: ehWasm, mainWorker: '' }, eh: { mainModule: ehWasm, mainWorker: '' } };
  const db = await createDuckDB(bundles, new VoidLogger(), BROWSER_RUNTIME);
  compileFromCache(db, ehWasm);
  return openBindings(db);
}

/**
 * DuckDB-WASM compiles its module from a Response it builds itself (the
 * fetched body piped through a TransformStream, to report download progress).
 * A constructed Response has no URL, so the browser can neither cache the
 * compiled code nor reuse it: every visit compiled the 30+ MB module again.
 * Compiling straight from `fetch(url)` lets Chromium keep the compiled code
 * beside the cached (or service-worker precached) response and load it on the
 * next visit instead of compiling. We report no download progress, so nothing
 * is lost.
 */
function compileFromCache(db: object, url: string): void {
  const bindings = db as { _runtime?: unknown; instantiateWasm?: unknown };
  bindings.instantiateWasm = (imports: WebAssembly.Imports, done: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) => {
    (globalThis as { DUCKDB_RUNTIME?: unknown }).DUCKDB_RUNTIME = bindings._runtime;
    WebAssembly.instantiateStreaming(fetch(url, { credentials: 'same-origin' }), imports)
      // A server that sends the wasm with another MIME type cannot stream: compile from the bytes instead.
      .catch(async () => WebAssembly.instantiate(await (await fetch(url, { credentials: 'same-origin' })).arrayBuffer(), imports))
      .then((r) => done(glueView(r.instance), r.module))
      .catch((e: unknown) => console.error('DuckDB-WASM failed to compile', e));
  };
}
