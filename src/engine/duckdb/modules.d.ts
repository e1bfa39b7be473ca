// DuckDB-WASM's blocking builds, typed by hand: the package's "./blocking"
// export points browsers at a file it does not ship and its type paths are
// not exported, so we import the real files by path (aliased in Vite) and
// declare the part of their API the engine uses.
declare module '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs' {
  import type { RecordBatch, Table } from 'apache-arrow';
  export interface PreparedStatement {
    query(...params: unknown[]): Table;
    close(): void;
  }
  export interface DuckDBConnection {
    query(text: string): Table;
    /** Streams the result: resolves to a reader whose record batches are pulled synchronously. */
    send(text: string, allowStreamResult?: boolean): Promise<Iterable<RecordBatch>>;
    prepare(text: string): PreparedStatement;
    useUnsafe<R>(callback: (bindings: DuckDBBindings, conn: number) => R): R;
    insertArrowFromIPCStream(buffer: Uint8Array, options: { name: string; schema?: string; create?: boolean }): void;
    close(): void;
  }
  export interface DuckDBBindings {
    /** Runs a query and returns its result as an Arrow IPC stream. */
    runQuery(conn: number, text: string): Uint8Array;
    /** Starts a query without waiting for it: the result's IPC stream header when already done, else null (poll). */
    startPendingQuery(conn: number, text: string, allowStreamResult: boolean): Uint8Array | null;
    /** Runs the pending query a little further: its header when done, else null. */
    pollPendingQuery(conn: number): Uint8Array | null;
    cancelPendingQuery(conn: number): boolean;
    /** The next IPC message of the result (an empty array at the end; null when not ready yet). */
    fetchQueryResults(conn: number): Uint8Array | null;
    instantiate(onProgress: (p: unknown) => void): Promise<DuckDBBindings>;
    open(config: Record<string, unknown>): void;
    connect(): DuckDBConnection;
    getVersion(): string;
    /** Creates (if need be) an OPFS database file and its .wal and opens a synchronous access handle on each (browser only). */
    prepareDBFileHandle(path: string, protocol: DuckDBDataProtocol.BROWSER_FSACCESS): Promise<void>;
  }
  export enum DuckDBDataProtocol {
    BROWSER_FSACCESS = 3,
  }
  export interface DuckDBBundles {
    mvp: { mainModule: string; mainWorker: string };
    eh?: { mainModule: string; mainWorker: string };
  }
  export class VoidLogger {}
  export const BROWSER_RUNTIME: unknown;
  export function createDuckDB(bundles: DuckDBBundles, logger: VoidLogger, runtime: unknown): Promise<DuckDBBindings>;
}
declare module '@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs' {
  import type { DuckDBBindings, DuckDBBundles } from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';
  export class VoidLogger {}
  export const NODE_RUNTIME: unknown;
  export function createDuckDB(bundles: DuckDBBundles, logger: VoidLogger, runtime: unknown): Promise<DuckDBBindings>;
}

// DuckDB-WASM's duckdb-eh.wasm as the site ships it (vite.config.ts): its URL.
declare module 'otpscope:duckdb-eh.wasm?url' {
  const url: string;
  export default url;
}
