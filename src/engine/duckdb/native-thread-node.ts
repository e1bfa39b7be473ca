/**
 * Starting the native DuckDB thread (native-worker-node.ts), apart from opening its database (native-node.ts).
 *
 * A new thread spends ~0.25 s before it can open anything: Node's own start-up for a worker, then node-api and
 * DuckDB's shared library. That does not depend on how the database will be opened, so the bundled CLI starts
 * the thread first thing (`prestartNativeThread`, from bin/otpscope.mjs) and the thread loads while the main
 * thread compiles the rest of the CLI and reads the inputs; `openNativeConnection` then takes that thread.
 * This module imports nothing heavy, so importing it costs next to nothing.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { loadNodeBindings } from './load-bindings-node';
import type { NativeWorkerData } from './native-protocol';

export interface NativeThread {
  worker: Worker;
  /** The caller's end of the request channel (the thread holds the other). */
  port: MessagePort;
  /** The shared counters of NativeWorkerData.signal. */
  counter: Int32Array;
  /** Set if the thread failed or exited before anyone opened a database in it (a prestarted thread's events are past). */
  ended: Error | null;
}

let prestarted: NativeThread | null = null;

/**
 * Starts a thread now for the next `takeNativeThread`; the process does not wait for it if nobody takes it.
 * \`small\`: the command's inputs are small (see SMALL_ALLOCATOR_CONF).
 */
export function prestartNativeThread(options: { small?: boolean } = {}): void {
  if (prestarted !== null) return;
  prestarted = startNativeThread(options.small === true);
  // DuckDB's library (70 MB, ~30 ms of CPU to load and relocate) is loaded here while the thread's Node starts up
  // (~60 ms), so that the thread finds it loaded instead of loading it on its own path to the open; this thread
  // has time to spare, as it later waits for that open. A failure here is the thread's to report, as before.
  try {
    loadNodeBindings();
  } catch {
    // the thread loads it itself and says what is wrong
  }
}

/**
 * Ends a prestarted thread nobody took (the command failed before it opened a database). Not before the thread
 * has loaded DuckDB: a thread stopped while it loads the addon aborts the whole process.
 */
export async function releaseNativeThread(): Promise<void> {
  const thread = prestarted;
  prestarted = null;
  if (thread === null) return;
  // A timer, not Atomics.waitAsync: the thread is unref'd, and only a timer keeps the process up meanwhile.
  while (thread.ended === null && Atomics.load(thread.counter, 2) === 0) await new Promise((r) => setTimeout(r, 5));
  await thread.worker.terminate();
}

/** The prestarted thread, or a new one. */
export function takeNativeThread(): NativeThread {
  const thread = prestarted ?? startNativeThread(false);
  prestarted = null;
  return thread;
}

/**
 * How DuckDB's allocator (the jemalloc built into its library) gives freed memory back to the system: 10 s after it
 * was freed, so the next statement of a load reuses it. With DuckDB's own setting it went back almost at once and
 * the next statement touched it afresh, which is slow on the machines measured (~10 µs per 4 KiB page): at 1M
 * ping-pong events 453k -> 346k minor page faults and 27.6 -> 20.3 s of CPU per load (medians of 3 loads each,
 * alternating, load average 6-8). A user's own DUCKDB_JE_MALLOC_CONF is kept.
 */
const ALLOCATOR_CONF = 'dirty_decay_ms:10000,muzzy_decay_ms:10000';

/**
 * The same for small inputs, where DuckDB runs on one thread of its own (src/cli/small-input.ts), plus one arena and
 * no per-thread caches: node-api runs each statement on whichever of libuv's four threads is free, and each of them
 * had an arena and a cache of its own, so memory one statement freed was often not the memory the next one got,
 * which touched fresh pages instead. A page touched for the first time costs ~16 µs on the machines measured,
 * and \`otpscope summary\` of the demo archive touched ~20.7k of them: about a third of its CPU time. One arena and
 * no caches: ~1.75k fewer (bench/summary-steps.mjs, 8 alternating runs each; docs/PERFORMANCE.md).
 */
const SMALL_ALLOCATOR_CONF = `narenas:1,tcache:false,${ALLOCATOR_CONF}`;

function startNativeThread(small: boolean): NativeThread {
  // jemalloc reads it from the process's environment when the library first allocates, in the thread started here.
  process.env.DUCKDB_JE_MALLOC_CONF ??= small ? SMALL_ALLOCATOR_CONF : ALLOCATOR_CONF;
  const signal = new SharedArrayBuffer(12);
  const { port1, port2 } = new MessageChannel();
  const data: NativeWorkerData & { port: MessagePort } = { signal, port: port2 };
  const worker = startWorker(data, port2);
  // Never what keeps the process alive: the CLI exits when its work is done.
  worker.unref();
  port1.unref();
  const thread: NativeThread = { worker, port: port1, counter: new Int32Array(signal), ended: null };
  worker.once('error', (e) => (thread.ended ??= e));
  worker.once('exit', (code) => (thread.ended ??= new Error(`the native DuckDB thread exited while opening (code ${code})`)));
  return thread;
}

/**
 * In the bundled CLI (dist-cli/, scripts/build-cli.mjs) this module is a `.mjs` file beside the bundled thread
 * entry, which starts as plain JavaScript. From the TypeScript sources (a dev checkout, tests, the bench) the
 * thread's entry is TypeScript too: tsx loads it, as bin/otpscope.mjs loads the CLI.
 */
function startWorker(data: NativeWorkerData & { port: MessagePort }, port: MessagePort): Worker {
  const options = { workerData: data, transferList: [port] };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./native-worker-boot-node.mjs', import.meta.url), options);
  // tsx/esm/api's ESM build: require.resolve would name its CommonJS one.
  const tsx = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./native-worker-boot-node.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
