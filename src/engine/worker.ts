/// <reference lib="webworker" />
/**
 * The engine worker: DuckDB-WASM (blocking bindings, in this thread) plus the
 * readers, exposed to the UI with comlink. `EngineApi` is the whole contract
 * between UI and engine.
 */
// First, before any other module runs: no request may leave the page's origin from this worker.
import './same-origin-guard';
import { expose, proxy, transfer } from 'comlink';
import { openBrowserDuckDb } from './duckdb/open-browser';
import { Engine, type InputFile, type LoadOptions, type LoadProgress, type LoadReport } from './engine';
import type { QueryResult } from './result';

let enginePromise: Promise<Engine> | undefined;
function engine(): Promise<Engine> {
  enginePromise ??= openBrowserDuckDb().then((db) => Engine.create(db));
  return enginePromise;
}

/** Per-key generation counters: a query superseded by a newer one with the same key is not run. */
const generations = new Map<string, number>();

export class SupersededError extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'SupersededError';
  }
}

const api = {
  /** DuckDB's version string, from inside the worker. */
  async version(): Promise<string> {
    return (await engine()).version;
  },

  async load(files: InputFile[], onProgress?: (p: LoadProgress) => void, options?: LoadOptions): Promise<LoadReport> {
    return (await engine()).load(files, onProgress, options);
  },

  async cancelLoad(): Promise<void> {
    (await engine()).cancel();
  },

  /**
   * Runs SQL; rejects with DuckDB's error. With `key`, only the latest
   * request per key runs: older ones still queued reject with SupersededError.
   */
  async query(sql: string, opts: { key?: string; maxRows?: number } = {}): Promise<QueryResult> {
    const e = await engine();
    if (opts.key !== undefined) {
      const gen = (generations.get(opts.key) ?? 0) + 1;
      generations.set(opts.key, gen);
      await new Promise((r) => setTimeout(r, 0));
      if (generations.get(opts.key) !== gen) throw new SupersededError();
    }
    return e.query(sql, opts.maxRows);
  },

  /** Memory held by the engine: DuckDB's own accounting, plus the wasm heap and JS heap where the platform tells. */
  async memory(): Promise<{ duckdbBytes: number; wasmBytes: number; jsHeapBytes: number | null }> {
    const heap = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
    return { ...(await engine()).memory(), jsHeapBytes: heap ? heap.usedJSHeapSize : null };
  },

  /** A query's result as a Parquet file (the bytes), written in the worker with parquet-wasm. */
  async exportParquet(sql: string): Promise<Uint8Array> {
    const ipc = (await engine()).queryArrowIpc(sql);
    const { arrowIpcToParquet } = await import('./parquet');
    const bytes = await arrowIpcToParquet(ipc);
    return transfer(bytes, [bytes.buffer]);
  },

  /** Sets anomaly thresholds (the `params` table) and recomputes the anomalies. */
  async setParams(values: Record<string, number>): Promise<void> {
    (await engine()).setParams(values);
  },

  /** Streams a query's rows to `onBatch` in batches; resolves with the row count when done. */
  async queryStream(sql: string, onBatch: (batch: QueryResult) => void, opts: { batchRows?: number } = {}): Promise<number> {
    let total = 0;
    for await (const batch of (await engine()).queryStream(sql, opts.batchRows)) {
      total += batch.rows.length;
      onBatch(batch);
    }
    return total;
  },

  /** Like `query`, but returns the error instead of rejecting. */
  async tryQuery(sql: string, opts: { maxRows?: number } = {}): Promise<{ ok: true; result: QueryResult } | { ok: false; error: string }> {
    try {
      return { ok: true, result: (await engine()).query(sql, opts.maxRows) };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  },
};

export type EngineApi = typeof api;
export { proxy };
expose(api);
