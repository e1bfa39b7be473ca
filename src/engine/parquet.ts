import initParquet, { Table as WasmTable, writeParquet } from 'parquet-wasm/esm';
import parquetWasm from 'parquet-wasm/esm/parquet_wasm_bg.wasm?url';

/**
 * Parquet export inside the browser. DuckDB-WASM's own Parquet writer is an
 * extension fetched from the internet, so the browser uses parquet-wasm (the
 * Rust arrow/parquet crates), whose wasm we serve and precache ourselves.
 * Loaded on first use only: most sessions never export.
 */
let ready: Promise<unknown> | undefined;

export async function arrowIpcToParquet(ipc: Uint8Array): Promise<Uint8Array> {
  ready ??= initParquet({ module_or_path: parquetWasm });
  await ready;
  return writeParquet(WasmTable.fromIPCStream(ipc));
}
