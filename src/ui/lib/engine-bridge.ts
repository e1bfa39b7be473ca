import { proxy, wrap, type Remote } from 'comlink';
import type { EngineApi } from '../../engine/worker';
import type { InputFile, LoadProgress, LoadReport } from '../../engine/engine';
import type { QueryResult } from '../../engine/result';

/**
 * The one owner of the engine worker. Views talk to the engine only through
 * this object; the worker's API is the `EngineApi` type.
 */
export class EngineBridge {
  readonly #worker: Worker;
  readonly #api: Remote<EngineApi>;

  constructor() {
    this.#worker = new Worker(new URL('../../engine/worker.ts', import.meta.url), { type: 'module', name: 'otpscope-engine' });
    this.#api = wrap<EngineApi>(this.#worker);
  }

  version(): Promise<string> {
    return this.#api.version();
  }

  load(files: InputFile[], onProgress?: (p: LoadProgress) => void): Promise<LoadReport> {
    return this.#api.load(files, onProgress ? proxy(onProgress) : undefined);
  }

  cancelLoad(): Promise<void> {
    return this.#api.cancelLoad();
  }

  query(sql: string, opts?: { key?: string; maxRows?: number }): Promise<QueryResult> {
    return this.#api.query(sql, opts);
  }

  /** Streams a large result in batches (each a QueryResult); resolves with the total row count. */
  queryStream(sql: string, onBatch: (batch: QueryResult) => void, opts?: { batchRows?: number }): Promise<number> {
    return this.#api.queryStream(sql, proxy(onBatch), opts);
  }

  /** The query's result as Parquet bytes. */
  exportParquet(sql: string): Promise<Uint8Array> {
    return this.#api.exportParquet(sql);
  }

  tryQuery(sql: string, opts?: { maxRows?: number }) {
    return this.#api.tryQuery(sql, opts);
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

/** Reads browser File objects into the engine's input shape. */
export async function readFiles(files: Iterable<File>): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const f of files)
    out.push({ name: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) });
  return out;
}
