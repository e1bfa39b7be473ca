import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { receiveMessageOnPort } from 'node:worker_threads';
import { tableFromIPC, Type, type Data } from 'apache-arrow';
import type { Cell, QueryResult } from '../result';
import type { EngineConnection } from './connection';
import type { NativeColumn, NativeRequest, NativeResponse } from './native-protocol';
import { takeNativeThread } from './native-thread-node';
import { startupSql, type OpenOptions } from './types';

export interface NativeOptions extends OpenOptions {
  /** DuckDB's threads (default: every core). */
  threads?: number;
  /** Where DuckDB spills what does not fit in memory_limit (default: a fresh directory under \`spillUnder\`, removed on close). */
  tempDirectory?: string;
  /** The directory that fresh spill directory is made in (default: the OS temp dir). */
  spillUnder?: string;
  /** Directories SQL may read and write although external access is off: the CLI's export target, nothing else. */
  allowedDirectories?: string[];
}

/** Batches (of about 200k events each, see Engine) that may wait in the thread's queue while the next is read. */
const MAX_INSERTS_QUEUED = 4;

/** Buffers handed back by the thread that are kept for the next batches (about as many as can be in flight). */
const MAX_SPARE_BUFFERS = MAX_INSERTS_QUEUED + 2;

type Request = NativeRequest extends infer R ? (R extends NativeRequest ? Omit<R, 'id'> : never) : never;

/**
 * Opens native DuckDB (`@duckdb/node-api`) as an EngineConnection.
 *
 * node-api's calls are all asynchronous, the engine's are synchronous (DuckDB-WASM's blocking build). So DuckDB
 * lives in a worker thread and each call here posts a request and blocks on `Atomics.wait` until the thread
 * answers (`receiveMessageOnPort` then takes the answer synchronously). DuckDB's own threads do the work; the
 * wait costs microseconds per call. Inserts do not wait (up to a few queued batches): the next call that does
 * collects their errors, so reading the next batch overlaps with DuckDB appending the last.
 *
 * The database opens with the same `startupSql` as DuckDB-WASM: external access and extension loading off, the
 * configuration locked. Native DuckDB has Parquet, JSON and ICU built in; loading anything else is refused.
 */
export async function openNativeConnection(options: NativeOptions = {}): Promise<EngineConnection> {
  const { connection, opened } = startNativeConnection(options);
  try {
    await opened;
  } catch (e) {
    connection.close();
    throw e;
  }
  return connection;
}

/**
 * Like openNativeConnection, but returns at once, before the database is open (\`opened\` resolves then): requests
 * go to the thread in order and run once it has opened, inserts and \`post\` without waiting, so the caller reads
 * and decodes its input while the thread is still loading DuckDB (~0.2 s of a small load's wall time). A call that
 * waits for its answer waits for the open too; if the open failed, that call (and every later one) throws, and
 * \`opened\` rejects with why.
 */
export function startNativeConnection(options: NativeOptions = {}): { connection: EngineConnection; opened: Promise<void> } {
  const ownTemp = options.tempDirectory === undefined ? mkdtempSync(path.join(options.spillUnder ?? tmpdir(), 'otpscope-duckdb-')) : undefined;
  const config: Record<string, string> = { temp_directory: options.tempDirectory ?? ownTemp! };
  if (options.threads !== undefined) config.threads = String(options.threads);
  const startup = startupSql(options);
  const allowed = options.allowedDirectories ?? [];
  if (allowed.length > 0) {
    const list = allowed.map((d) => `'${path.resolve(d).replace(/'/g, "''")}/'`).join(', ');
    startup.splice(startup.indexOf('SET enable_external_access = false'), 0, `SET allowed_directories = [${list}]`);
  }
  const thread = takeNativeThread();
  const { worker, port: port1, counter } = thread;
  // Set by the thread itself as it exits: while this thread blocks, no 'exit' event could tell us.
  const exitedNow = () => (Atomics.load(counter, 1) === 0 ? null : new Error('the native DuckDB thread stopped unexpectedly'));
  let exited: Error | null = null;
  worker.on('error', (e) => (exited = e));

  let nextId = 1;
  /** Errors of requests nobody waited for (inserts), reported by the next call that waits. */
  let pendingError: string | null = null;
  const send = (req: Request, transfer: ArrayBuffer[] = []): number => {
    exited ??= exitedNow();
    if (exited) throw exited;
    const id = nextId++;
    port1.postMessage({ ...req, id }, transfer);
    return id;
  };
  /** The last request answered (answers come in the order of the requests). */
  let answered = 0;
  /**
   * Buffers the thread appended from and handed back, smallest first. A batch is copied into one of these
   * rather than into fresh memory: memory a process touches for the first time is slow on the machines
   * measured (~10 µs per 4 KiB page), and a fresh copy of every batch was ~45k page faults of the main thread
   * at 1M ping-pong events.
   */
  const spare: ArrayBuffer[] = [];
  const keep = (buffer: ArrayBuffer) => {
    const at = spare.findIndex((b) => b.byteLength >= buffer.byteLength);
    spare.splice(at < 0 ? spare.length : at, 0, buffer);
    // Past the cap the smallest goes: the biggest fit every table's batches.
    if (spare.length > MAX_SPARE_BUFFERS) spare.shift();
  };
  /** A buffer of at least \`n\` bytes: the smallest spare one that fits, else a new one with some room. */
  const bufferFor = (n: number): ArrayBuffer => {
    const i = spare.findIndex((b) => b.byteLength >= n);
    return i >= 0 ? spare.splice(i, 1)[0] : new ArrayBuffer(n + (n >> 3));
  };
  const wait = (id: number): unknown => {
    for (;;) {
      const seen = Atomics.load(counter, 0);
      const msg = receiveMessageOnPort(port1)?.message as NativeResponse | undefined;
      if (msg === undefined) {
        exited ??= exitedNow();
        if (exited) throw exited;
        Atomics.wait(counter, 0, seen, 1000);
        continue;
      }
      answered = Math.max(answered, msg.id);
      if (msg.ok && msg.value instanceof ArrayBuffer) keep(msg.value);
      if (!msg.ok && msg.id !== id) pendingError ??= msg.error;
      if (msg.id !== id) continue;
      if (pendingError !== null) {
        const e = pendingError;
        pendingError = null;
        throw new Error(e);
      }
      if (!msg.ok) throw new Error(msg.error);
      return msg.value;
    }
  };
  const call = (req: Request) => wait(send(req));
  /** Inserts sent and maybe not answered yet, oldest first. */
  const inFlight: number[] = [];
  /**
   * Waits until at most `max` inserts are queued in the thread: a reader faster than DuckDB's appends must not
   * pile the whole archive up in memory as batches waiting their turn.
   */
  const drainInserts = (max: number) => {
    while (inFlight.length > max) {
      const id = inFlight.shift()!;
      if (id > answered) wait(id);
    }
  };

  // The open's answer comes on the parent port, to be awaited without blocking: the thread is still starting
  // (loading DuckDB, or tsx first); the requests that follow on the port run after it.
  let version: string | undefined;
  let reject!: (e: Error) => void;
  const exitWhileOpening = (code: number) => reject(new Error(`the native DuckDB thread exited while opening (code ${code})`));
  const opened = new Promise<void>((resolve, rejectOpen) => {
    reject = rejectOpen;
    if (thread.ended) return reject(thread.ended);
    worker.once('message', (m: NativeResponse) => (m.ok ? resolve(void (version = String(m.value))) : reject(new Error(m.error))));
    worker.once('error', reject);
    worker.once('exit', exitWhileOpening);
  }).finally(() => worker.off('exit', exitWhileOpening));
  // Whoever does not await it hears of a failed open from the next call that waits.
  opened.catch(() => {});
  performance.mark('otpscope:native-open-sent');
  worker.postMessage({ op: 'open', id: 0, open: { path: ':memory:', config, startup } } satisfies NativeRequest);
  let closed = false;
  /** The EngineConnection of connection `conn` (0: the first, which owns the database and the thread). */
  const connection = (conn: number): EngineConnection => {
    let gone = false;
    return {
      kind: 'native',
      get version() {
        // Known once the open's answer was heard; before that, asked (after the open, as every request).
        version ??= String((call({ op: 'query', sql: 'SELECT version()', maxRows: 1, conn }) as QueryResult).rows[0][0]);
        return version;
      },
      query: (sql, maxRows = Number.MAX_SAFE_INTEGER) => call({ op: 'query', sql, maxRows, conn }) as QueryResult,
      post: (sql) => void inFlight.push(send({ op: 'query', sql, maxRows: 0, conn })),
      execute: (sql, params: Cell[][]) => void call({ op: 'execute', sql, params, conn }),
      insertArrowIpc(table, ipc) {
        // The buffer is handed over to the thread; a view of a bigger buffer (the engine writes every batch into
        // one) is copied first, into a buffer an earlier batch came back in. The columns are views into it, so the
        // thread gets them without a copy and without loading an Arrow library.
        let own = ipc;
        if (ipc.byteOffset !== 0 || ipc.byteLength !== ipc.buffer.byteLength || !(ipc.buffer instanceof ArrayBuffer)) {
          own = new Uint8Array(bufferFor(ipc.byteLength), 0, ipc.byteLength);
          own.set(ipc);
        }
        const buffer = own.buffer as ArrayBuffer;
        const batches = tableFromIPC(own).batches.map((b) => Array.from({ length: b.numCols }, (_, i) => nativeColumn(b.getChildAt(i)!.data[0], table)));
        inFlight.push(send({ op: 'insert', table, batches, buffer, conn }, [buffer]));
        drainInserts(MAX_INSERTS_QUEUED);
      },
      queryArrowIpc() {
        throw new Error('the native engine writes Parquet itself (COPY … TO); Arrow IPC results are the browser engine’s');
      },
      async *queryStream(sql, batchRows) {
        const stream = call({ op: 'streamOpen', sql, conn }) as number;
        try {
          for (;;) {
            const batch = call({ op: 'streamNext', stream, batchRows }) as QueryResult | null;
            if (batch === null) return;
            yield batch;
          }
        } finally {
          call({ op: 'streamClose', stream });
        }
      },
      wasmBytes: () => 0,
      connect: () => connection(call({ op: 'connect' }) as number),
      close() {
        if (conn !== 0) {
          if (!gone && !closed && !exited) call({ op: 'disconnect', conn });
          gone = true;
          return;
        }
        if (closed) return;
        closed = true;
        try {
          if (!exited) call({ op: 'close' });
        } finally {
          void worker.terminate();
          if (ownTemp !== undefined) rmSync(ownTemp, { recursive: true, force: true });
        }
      },
    };
  };
  return { connection: connection(0), opened };
}

/** One column of a record batch as the thread appends it (views of Arrow's buffers). */
function nativeColumn(data: Data, table: string): NativeColumn {
  const common = { offset: data.offset, length: data.length, nulls: data.nullCount > 0 ? (data.nullBitmap ?? null) : null };
  switch (data.typeId) {
    case Type.Int:
    case Type.Float:
      return { kind: 'fixed', ...common, values: data.values as BigInt64Array | Int32Array | Float64Array };
    case Type.Bool:
      return { kind: 'bool', ...common, values: data.values as Uint8Array };
    case Type.Utf8:
      return { kind: 'utf8', ...common, offsets: data.valueOffsets as Int32Array, bytes: data.values as Uint8Array };
    default:
      throw new Error(`insert into ${table}: Arrow type ${Type[data.typeId]} is not handled by the native engine`);
  }
}
