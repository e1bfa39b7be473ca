import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { rowsOf, type Cell, type QueryResult } from '../result';
import type { DuckDBConnection } from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';
import { multiRowInserts, parameterInsert, type DuckDb } from './types';

/**
 * The one seam between the engine and a DuckDB: everything `Engine` asks of a
 * database goes through these calls, and both engines implement them.
 *
 * - DuckDB-WASM (`wasmConnection`): the browser worker, and the CLI's `--engine wasm`.
 * - Native DuckDB (`openNativeConnection` in native-node.ts): the CLI's default. Its calls run in a worker thread
 *   and block the caller until they are done, so the engine's code stays synchronous in both places.
 *
 * Calls throw DuckDB's message on error. Both open with the same `startupSql`, so the same SQL gives the same
 * answers and the same refusals.
 */
export interface EngineConnection {
  readonly kind: 'wasm' | 'native';
  /** DuckDB's version, e.g. v1.4.3. */
  readonly version: string;
  /** The DuckDB-WASM database behind a wasm connection (the SQL console opens its own connection on it). */
  readonly wasm?: DuckDb;
  /** Runs SQL (one statement or several; the last one's rows come back), keeping the first `maxRows` rows. */
  query(sql: string, maxRows?: number): QueryResult;
  /**
   * Runs SQL whose answer nobody reads. Native DuckDB may return before it ran: its thread runs requests in the
   * order they came, and an error is thrown by the next call that waits for an answer.
   */
  post(sql: string): void;
  /** Runs one parameterised statement once per row of `params`. */
  execute(sql: string, params: Cell[][]): void;
  /** Appends an Arrow IPC stream to an existing table, its columns in the table's order. */
  insertArrowIpc(table: string, ipc: Uint8Array): void;
  /** A query's result as one Arrow IPC stream (the browser's Parquet export). */
  queryArrowIpc(sql: string): Uint8Array;
  /** A query's rows in batches of about `batchRows`, without holding the whole result. */
  queryStream(sql: string, batchRows: number): AsyncGenerator<QueryResult>;
  /** Bytes of WebAssembly memory held (0 for native DuckDB, whose memory is the process's). */
  wasmBytes(): number;
  /**
   * Another connection to the same database (a comparison loads recording B through one). Its own default
   * schema and prepared state; closing it closes only it.
   */
  connect(): EngineConnection;
  /** Closes the connection (the first one: the whole database). */
  close(): void;
}

/** DuckDB-WASM's blocking connection (browser worker or Node) as an EngineConnection; `db.conn`, or `second`. */
export function wasmConnection(db: DuckDb, second?: DuckDBConnection): EngineConnection {
  const conn = second ?? db.conn;
  return {
    kind: 'wasm',
    version: db.version,
    wasm: second ? { ...db, conn } : db,
    query: (sql, maxRows = Number.MAX_SAFE_INTEGER) => rowsOf(conn.query(sql), maxRows),
    post: (sql) => void conn.query(sql),
    execute(sql, params) {
      // Many rows of one INSERT as a few multi-row INSERTs: each run of a prepared statement is a whole query with
      // its Arrow result (the demo's 57 meta rows one by one cost ~0.3 s of its load, most of reading it).
      const shape = params.length > 1 ? parameterInsert(sql) : null;
      if (shape !== null && params.every((row) => row.length === shape.width)) {
        const tuple = `(${Array(shape.width).fill('?').join(', ')})`;
        for (const { sql: insert, values } of multiRowInserts(shape.table, tuple, params)) runPrepared(conn, insert, [values]);
      } else runPrepared(conn, sql, params);
    },
    insertArrowIpc: (table, ipc) => conn.insertArrowFromIPCStream(ipc, { name: table, create: false }),
    // DuckDB hands out the IPC file format; readers downstream want the stream format.
    queryArrowIpc: (sql) => tableToIPC(tableFromIPC(conn.useUnsafe((bindings, c) => bindings.runQuery(c, sql).slice())), 'stream'),
    async *queryStream(sql, batchRows) {
      const reader = await conn.send(sql, true);
      let out: QueryResult | null = null;
      for (const batch of reader) {
        // Record batches come from DuckDB's own Arrow build: read them through their interface, not instanceof.
        const part = rowsOf(batch, Number.MAX_SAFE_INTEGER);
        if (out === null) out = part;
        else for (const r of part.rows) out.rows.push(r);
        out.totalRows = out.rows.length;
        if (out.rows.length >= batchRows) {
          yield out;
          out = null;
        }
      }
      if (out !== null) yield out;
    },
    wasmBytes: () => db.wasmBytes(),
    connect: () => wasmConnection(db, db.connect()),
    close: () => (second ? second.close() : db.close()),
  };
}

/** Runs \`sql\` prepared, once per row of \`params\`. */
function runPrepared(conn: DuckDBConnection, sql: string, params: Cell[][]): void {
  const stmt = conn.prepare(sql);
  try {
    for (const row of params) stmt.query(...row);
  } finally {
    stmt.close();
  }
}

/** Accepts an opened DuckDB-WASM (what callers had before the seam) or any EngineConnection. */
export function asConnection(db: DuckDb | EngineConnection): EngineConnection {
  return 'conn' in db ? wasmConnection(db) : db;
}
