import type { Cell } from '../result';

/**
 * One column of a batch on its way to the native DuckDB thread: Arrow's buffers of that column as they are
 * (native-node.ts takes them out of the IPC stream), so the thread needs no Arrow library to append them.
 * `offset` is the column's first row in its buffers (Arrow slices); `nulls` is Arrow's validity bitmap, or
 * null when every value is present.
 */
export type NativeColumn =
  | { kind: 'fixed'; offset: number; length: number; nulls: Uint8Array | null; values: BigInt64Array | Int32Array | Float64Array }
  | { kind: 'bool'; offset: number; length: number; nulls: Uint8Array | null; values: Uint8Array }
  | { kind: 'utf8'; offset: number; length: number; nulls: Uint8Array | null; offsets: Int32Array; bytes: Uint8Array };

/** What the caller sends the native DuckDB thread (native-node.ts → native-worker-node.ts). */
/** `conn`: which connection of the database runs it (0, the first, when absent; see `connect`). */
export type NativeRequest = { id: number } & (
  | { op: 'open'; open: NativeOpen }
  | { op: 'connect' }
  | { op: 'disconnect'; conn: number }
  | { op: 'query'; sql: string; maxRows: number; conn?: number }
  | { op: 'execute'; sql: string; params: Cell[][]; conn?: number }
  /** `buffer`: the one the columns are views of; the thread answers with it, handed back for the next batch. */
  | { op: 'insert'; table: string; batches: NativeColumn[][]; buffer: ArrayBuffer; conn?: number }
  | { op: 'streamOpen'; sql: string; conn?: number }
  | { op: 'streamNext'; stream: number; batchRows: number }
  | { op: 'streamClose'; stream: number }
  | { op: 'close' }
);

export type NativeResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface NativeWorkerData {
  /**
   * Three Int32s: [0] the thread increments after each answer (the caller waits on it), [1] is set when the thread
   * exits, [2] once it has loaded DuckDB.
   */
  signal: SharedArrayBuffer;
}

/** How the thread opens its database: sent with \`open\`, so the thread can start (and load DuckDB) before this is known. */
export interface NativeOpen {
  /** ':memory:' or a database file. */
  path: string;
  /** DuckDB settings given when the database opens (threads, memory_limit, temp_directory, …). */
  config: Record<string, string>;
  /** Statements run right after opening: `startupSql`, which ends by locking the configuration. */
  startup: string[];
}
