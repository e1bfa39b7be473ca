/// <reference lib="webworker" />
/**
 * The engine worker's entry. It requests the engine (../worker: DuckDB-WASM's glue, Arrow, the readers, ~1.6 MB
 * of JavaScript) and DuckDB's 27 MB wasm at once; before, the wasm was requested only once all of that had been
 * compiled and run. The engine is asked for first: the wasm's body is taken in by this thread in one long task,
 * and JavaScript that arrived during it waited until the wasm was compiled, so the engine then loaded after it.
 * Loaded by this entry rather than as the worker's own script, the engine's JavaScript also gets the browser's
 * code cache on later visits (Chromium keeps none for a worker's top-level script): compiling it went from
 * ~0.5 s to ~20 ms. Messages the page sends before the engine listens are held and handed to it in order.
 */
// First, before any other module runs (the build puts a request for the bundler's helpers ahead of it,
// scripts/worker-preload.ts: a chunk of our origin, function definitions only): no request may leave the page's
// origin from this worker.
import '../same-origin-guard';
import { duckDbWasm } from './wasm-module';

performance.mark('otpscope:worker-boot');
const scope = self as unknown as DedicatedWorkerGlobalScope;
const held: MessageEvent[] = [];
const hold = (e: MessageEvent) => void held.push(e);
scope.addEventListener('message', hold);
import('../worker').then(
  () => {
    scope.removeEventListener('message', hold);
    for (const e of held) scope.dispatchEvent(new MessageEvent('message', { data: e.data, ports: [...e.ports] }));
  },
  (e: unknown) => console.error('the otpscope engine failed to load', e),
);
// A failure is reported when the engine opens DuckDB and awaits the same promise.
duckDbWasm().catch(() => {});
