import { openBrowserDuckDb } from '../../src/engine/duckdb/open-browser';
import { loadVsFloor, type BenchDb } from '../core/load-run';

export interface BenchRequest {
  url: string;
  name: string;
  runs: number;
}
export type BenchReply = { ok: false; error: string } | ({ ok: true; heapBytes: number | null } & Omit<Awaited<ReturnType<typeof loadVsFloor>>, 'keep'>);

/** DuckDB-WASM opened exactly as the engine worker opens it, with its wasm memory size. */
async function openDb(): Promise<BenchDb> {
  const db = await openBrowserDuckDb();
  return { db, wasmBytes: () => db.wasmBytes() };
}

function heap(): number | null {
  const m = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
  return m ? m.usedJSHeapSize : null;
}

// Type-checked with the Node config (no webworker lib): the worker scope untyped.
const scope = globalThis as unknown as { onmessage: (e: { data: BenchRequest }) => void; postMessage: (m: unknown) => void };
const self = scope;

scope.onmessage = async (e: { data: BenchRequest }) => {
  try {
    const bytes = new Uint8Array(await (await fetch(e.data.url)).arrayBuffer());
    const heap0 = heap();
    const { keep, ...r } = await loadVsFloor(openDb, { name: e.data.name, bytes }, e.data.runs, (log) => self.postMessage({ log }));
    const heap1 = heap();
    keep.bdb.db.close();
    self.postMessage({ ok: true, ...r, heapBytes: heap0 === null || heap1 === null ? null : Math.max(0, heap1 - heap0) } satisfies BenchReply);
  } catch (err) {
    self.postMessage({ ok: false, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) } satisfies BenchReply);
  }
};
