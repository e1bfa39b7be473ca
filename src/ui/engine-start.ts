/// <reference lib="dom" />
/**
 * The engine's worker, created by the page's first script. The built page loads this module as a script of its own
 * ahead of the main bundle (scripts/engine-start.ts): a few hundred bytes that run as soon as they arrive, while the
 * main bundle (~260 kB) is still being read, compiled and run, and the worker's thread, its entry and DuckDB's wasm
 * start that much sooner. The main bundle imports the same module (through src/ui/lib/engine-bridge.ts) and takes
 * the worker made here; in the dev server, or if this script did not run first, that import makes it.
 */

let early: Worker | undefined;

function newEngineWorker(): Worker {
  performance.mark('otpscope:worker-new');
  return new Worker(new URL('../engine/duckdb/worker-boot.ts', import.meta.url), { type: 'module', name: 'otpscope-engine' });
}

/** Creates the engine's worker if nothing has yet; `takeEngineWorker` hands it over. */
export function startEngineEarly(): void {
  early ??= newEngineWorker();
}

/** The worker `startEngineEarly` made (a new one if none is waiting); each call takes its own. */
export function takeEngineWorker(): Worker {
  const worker = early ?? newEngineWorker();
  early = undefined;
  return worker;
}

// Only in a page: the UI's modules are also imported by unit tests in Node, which has no Worker of this kind.
if (typeof document !== 'undefined') startEngineEarly();
