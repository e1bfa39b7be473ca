/**
 * Where the native DuckDB thread starts (native-thread-node.ts): it first makes the thread's exit, also one
 * because loading node-api or DuckDB's library failed, show in the shared counters, then loads the thread's
 * work (native-worker-node.ts). A caller blocked on an answer (native-node.ts) cannot hear the Worker's 'exit'
 * event, and it sends requests before the thread has opened anything, so it may be blocked while the thread is
 * still loading. (A static import of the library would load before any line here runs: hence the import().)
 */
import { workerData } from 'node:worker_threads';
import type { NativeWorkerData } from './native-protocol';

const counter = new Int32Array((workerData as NativeWorkerData).signal);
process.on('exit', () => {
  Atomics.store(counter, 1, 1);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
});
await import('./native-worker-node');
