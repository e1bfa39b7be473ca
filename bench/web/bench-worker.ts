import { BROWSER_RUNTIME, VoidLogger, createDuckDB } from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';
import ehWasm from '@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url';
import { STARTUP_SQL } from '../../src/engine/duckdb/types';
import { loadVsFloor, type BenchDb } from '../core/load-run';

export interface BenchRequest {
  url: string;
  name: string;
  runs: number;
}
export type BenchReply = { ok: false; error: string } | ({ ok: true; heapBytes: number | null } & Omit<Awaited<ReturnType<typeof loadVsFloor>>, 'keep'>);

/** DuckDB-WASM opened like src/engine/duckdb/open-browser.ts, keeping the instance for its wasm memory size. */
async function openDb(): Promise<BenchDb> {
  const bundles = { mvp: { mainModule: ehWasm, mainWorker: '' }, eh: { mainModule: ehWasm, mainWorker: '' } };
  const db = await createDuckDB(bundles, new VoidLogger(), BROWSER_RUNTIME);
  await db.instantiate(() => {});
  db.open({});
  const conn = db.connect();
  for (const sql of STARTUP_SQL) conn.query(sql);
  const mod = (db as unknown as { mod: { HEAPU8: Uint8Array } }).mod;
  return {
    db: {
      conn,
      version: db.getVersion(),
      close: () => {
        conn.close();
        (db as unknown as { reset?: () => void }).reset?.();
      },
    },
    wasmBytes: () => mod.HEAPU8.buffer.byteLength,
  };
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
