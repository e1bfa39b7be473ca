/**
 * The worker thread that owns native DuckDB (see native-node.ts for why it is a thread). It runs requests one at
 * a time, in the order they came, and answers each on the port, then bumps the shared counter so the blocked
 * caller wakes up. An error answers the request it belongs to; later requests still run. The thread starts in
 * native-worker-boot-node.ts, which imports this.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  DuckDBInstance,
  JSDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBMaterializedResult,
  type DuckDBResult,
  type DuckDBValue,
} from '@duckdb/node-api';
import { toCell, type Cell, type QueryResult } from '../result';
import { appendColumns } from './native-ingest-node';
import type { NativeRequest, NativeResponse, NativeWorkerData } from './native-protocol';
import { multiRowInserts, parameterInsert } from './types';

// Marks of the thread's start-up (otpscope:native-*), read by bench/summary-steps.mjs.
performance.mark('otpscope:native-modules');
const { port, signal } = workerData as NativeWorkerData & { port: MessagePort };
const counter = new Int32Array(signal);
/**
 * An in-memory database opened now, before the open request says how (DuckDB's defaults): the request then only
 * changes its settings (~0.1 s less between the request and its answer, while the caller waits). Undefined if it
 * failed; the request then opens its own.
 */
const early: Promise<DuckDBInstance | undefined> = DuckDBInstance.create(':memory:').then(
  (db) => db,
  () => undefined,
);
// The imports above (node-api, DuckDB's library) are in and the early database is open (a thread stopped while
// DuckDB works on it may abort the process): the thread may be stopped safely from now on.
void early.then(() => {
  performance.mark('otpscope:native-early-db');
  Atomics.store(counter, 2, 1);
  Atomics.notify(counter, 2);
});

/** The database's connections by number: 0 is the first, more come from `connect` (a comparison's recording B). */
const conns = new Map<number, DuckDBConnection>();
let nextConn = 1;
let instance: DuckDBInstance | undefined;
const streams = new Map<number, { result: DuckDBResult; done: boolean }>();
let nextStream = 0;
/** Why the open request failed: every later request fails with it. */
let openFailed: Error | undefined;
let opened!: () => void;
/**
 * The requests on \`port\`, one after the other, the first after the open: the caller sends them without waiting
 * for the open's answer, and a message on \`port\` may arrive before the one on the parent port.
 */
let queue: Promise<unknown> = new Promise<void>((resolve) => (opened = resolve));

// Opening answers on the parent port (the caller may await it); every later request comes and goes on `port`.
parentPort!.once('message', async (req: NativeRequest) => {
  try {
    parentPort!.postMessage({ id: req.id, ok: true, value: await handle(req) });
  } catch (e) {
    // A database opened without all its settings (the startup SQL locks external access off) takes no request.
    for (const c of conns.values()) c.closeSync();
    conns.clear();
    openFailed = new Error(`the native DuckDB database did not open: ${e instanceof Error ? e.message : String(e)}`);
    parentPort!.postMessage({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) });
  } finally {
    opened();
  }
});

port.on('message', (req: NativeRequest) => {
  queue = queue.then(async () => {
    let res: NativeResponse;
    try {
      res = { id: req.id, ok: true, value: await handle(req) };
    } catch (e) {
      res = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    // An insert's buffer goes back to the caller, who copies its next batch into it (see native-node.ts).
    port.postMessage(res, res.ok && res.value instanceof ArrayBuffer ? [res.value] : []);
    Atomics.add(counter, 0, 1);
    Atomics.notify(counter, 0);
  });
});

async function handle(req: NativeRequest): Promise<unknown> {
  switch (req.op) {
    case 'open': {
      const ready = await early;
      if (ready !== undefined && req.open.path !== ':memory:') ready.closeSync();
      instance = req.open.path === ':memory:' ? ready : undefined;
      instance ??= await DuckDBInstance.create(req.open.path, req.open.config);
      const conn = await instance.connect();
      conns.set(0, conn);
      // The early database's settings become the requested ones (before startup SQL locks them). One query, its
      // statements run in order, as DuckDB-WASM runs its startup SQL: each query is a trip through libuv's thread
      // pool, and the caller's first statements wait for this answer.
      const settings = instance === ready ? Object.entries(req.open.config).map(([name, value]) => `SET ${name} = '${value.replace(/'/g, "''")}'`) : [];
      const version = await conn.runAndReadAll([...settings, ...req.open.startup, 'SELECT version()'].join(';\n'));
      performance.mark('otpscope:native-opened');
      return version.getRows()[0][0];
    }
    case 'connect': {
      if (instance === undefined || !conns.has(0)) throw new Error('the native DuckDB database is closed');
      const id = nextConn++;
      conns.set(id, await instance.connect());
      return id;
    }
    case 'disconnect':
      db(req.conn).closeSync();
      conns.delete(req.conn);
      return null;
    case 'query':
      return readResult(await db(req.conn).run(req.sql), req.maxRows);
    case 'execute': {
      if (req.params.length > 1 && (await insertRows(db(req.conn), req.sql, req.params))) return null;
      const stmt = await db(req.conn).prepare(req.sql);
      try {
        for (const row of req.params) {
          stmt.bind(row as DuckDBValue[]);
          await stmt.run();
        }
      } finally {
        stmt.destroySync();
      }
      return null;
    }
    case 'insert':
      await appendColumns(db(req.conn), req.table, req.batches);
      return req.buffer;
    case 'streamOpen': {
      const id = nextStream++;
      streams.set(id, { result: await db(req.conn).stream(req.sql), done: false });
      return id;
    }
    case 'streamNext': {
      const s = streams.get(req.stream);
      if (s === undefined) throw new Error(`no open result ${req.stream}`);
      const out = emptyResult(s.result);
      while (!s.done && out.rows.length < req.batchRows) {
        const chunk = await s.result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) s.done = true;
        else for (const row of chunk.convertRows(JSDuckDBValueConverter)) out.rows.push(row.map(toCell));
      }
      out.totalRows = out.rows.length;
      if (s.done) streams.delete(req.stream);
      return out.rows.length === 0 ? null : out;
    }
    case 'streamClose':
      streams.delete(req.stream);
      return null;
    case 'close':
      streams.clear();
      for (const c of conns.values()) c.closeSync();
      conns.clear();
      instance?.closeSync();
      return null;
  }
}

/**
 * `INSERT INTO t VALUES (?, …)` for many rows as one statement per ROWS_PER_INSERT rows instead of one run each
 * (every run is a trip through the thread pool: ~1 ms, which was most of writing an archive's meta rows). Each
 * value is cast to its column's type, as a one-row insert casts it. False when the statement is of another shape.
 */
async function insertRows(conn: DuckDBConnection, sql: string, params: Cell[][]): Promise<boolean> {
  const shape = parameterInsert(sql);
  if (shape === null) return false;
  const types = (await conn.run(`SELECT * FROM ${shape.table} LIMIT 0`)).columnTypes().map(String);
  if (types.length !== shape.width || params.some((row) => row.length !== types.length)) return false;
  const tuple = `(${types.map((t) => `?::${t}`).join(', ')})`;
  for (const { sql: insert, values } of multiRowInserts(shape.table, tuple, params)) {
    const stmt = await conn.prepare(insert);
    try {
      stmt.bind(values as DuckDBValue[]);
      await stmt.run();
    } finally {
      stmt.destroySync();
    }
  }
  return true;
}

function db(id = 0): DuckDBConnection {
  const conn = conns.get(id);
  if (conn === undefined) throw openFailed ?? new Error(id === 0 ? 'the native DuckDB connection is closed' : `native DuckDB connection ${id} is closed`);
  return conn;
}

/**
 * Converts the first `maxRows` rows and counts the rest without converting them. `run` gives a materialized
 * result: its chunks are read synchronously, not one trip through the thread pool each (fetchChunk).
 */
function readResult(result: DuckDBMaterializedResult, maxRows: number): QueryResult {
  const out = emptyResult(result);
  for (let c = 0; c < result.chunkCount; c++) {
    const chunk = result.getChunk(c);
    if (chunk.rowCount === 0) continue;
    out.totalRows += chunk.rowCount;
    if (out.rows.length >= maxRows) continue;
    const rows = chunk.convertRows(JSDuckDBValueConverter);
    for (let i = 0; i < rows.length && out.rows.length < maxRows; i++) out.rows.push(rows[i].map(toCell) as Cell[]);
  }
  return out;
}

/** Column types named as Arrow names them, so a result reads the same from either engine. */
const ARROW_TYPE: Record<string, string> = {
  BIGINT: 'Int64',
  INTEGER: 'Int32',
  SMALLINT: 'Int16',
  TINYINT: 'Int8',
  UBIGINT: 'Uint64',
  UINTEGER: 'Uint32',
  DOUBLE: 'Float64',
  FLOAT: 'Float32',
  VARCHAR: 'Utf8',
  BOOLEAN: 'Bool',
  HUGEINT: 'Decimal[38e+0]',
};

function emptyResult(result: DuckDBResult): QueryResult {
  const columns = result.columnNames().map((name, i) => {
    const type = result.columnType(i).toString();
    return { name, type: ARROW_TYPE[type] ?? type };
  });
  return { columns, rows: [], totalRows: 0 };
}
