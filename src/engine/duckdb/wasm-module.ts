// DuckDB-WASM's duckdb-eh.wasm with its exports cut to what the glue reads (vite.config.ts, ./glue-exports).
import ehWasm from 'otpscope:duckdb-eh.wasm?url';

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * DuckDB's wasm, compiled; the first call starts the fetch and the compilation, later calls share them (the
 * worker's entry starts them before the engine's JavaScript has loaded).
 *
 * Only the `eh` build ships: every browser we target has wasm exceptions, and the wasm is served (and
 * precached) from our own origin. It is compiled straight from `fetch(url)`, not from the Response DuckDB-WASM
 * builds itself to report download progress: a constructed Response has no URL, so the browser could neither
 * keep the compiled code beside the cached (or service-worker precached) response nor reuse it on the next visit.
 */
export function duckDbWasm(): Promise<WebAssembly.Module> {
  return (compiled ??= compile().then((module) => (performance.mark('otpscope:compiled'), module)));
}

async function compile(): Promise<WebAssembly.Module> {
  const get = () => fetch(ehWasm, { credentials: 'same-origin' });
  try {
    return await WebAssembly.compileStreaming(get());
  } catch {
    // A server that sends the wasm with another MIME type cannot stream: compile from the bytes instead.
    return WebAssembly.compile(await (await get()).arrayBuffer());
  }
}
