/**
 * The bench page: a worker running the real Engine on DuckDB-WASM's browser
 * blocking build (as src/engine/worker.ts does), so the browser's load can be
 * split into phases and set beside the Arrow IPC floor in the same worker.
 */
import type { BenchRequest, BenchReply } from './bench-worker';

// This folder is type-checked with the Node config (no DOM lib).
const Worker = (globalThis as any).Worker;

function run(req: BenchRequest): Promise<BenchReply> {
  // Literally `new Worker(new URL(...))`: the shape Vite recognises to bundle the worker.
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve) => {
    worker.onmessage = (e: { data: BenchReply | { log: string } }) => {
      if ('log' in e.data) {
        console.log(e.data.log);
        return;
      }
      resolve(e.data);
      worker.terminate();
    };
    worker.onerror = (e: { message: string }) => {
      resolve({ ok: false, error: `worker error: ${e.message}` });
      worker.terminate();
    };
    worker.postMessage(req);
  });
}

(globalThis as unknown as { __bench: typeof run }).__bench = run;
(globalThis as any).document.getElementById('status').textContent = 'bench page ready';
