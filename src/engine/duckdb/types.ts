import type { DuckDBConnection } from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';

/**
 * What the engine needs from DuckDB: one synchronous connection.
 *
 * Both the browser worker and the Node CLI run DuckDB-WASM's *blocking*
 * bindings, so the engine's SQL runs on the calling thread with no second
 * worker hop and the same code path in both places.
 */
export interface DuckDb {
  conn: DuckDBConnection;
  version: string;
  /** Bytes of WebAssembly memory the database holds (it grows, never shrinks; 4 GiB at most). */
  wasmBytes(): number;
  close(): void;
}

/** Statements every new database runs first: no extension may be fetched (airgapped, no network). */
export const STARTUP_SQL = ['SET autoload_known_extensions = false', 'SET autoinstall_known_extensions = false'];
