/// <reference lib="dom" />
import { proxy, transfer, wrap, type Endpoint } from 'comlink';
import type { EngineApi } from '../../engine/api';
import type { InputFile } from '../../engine/engine';
import { takeEngineWorker } from '../engine-start';

/**
 * The UI's handle on the engine: `EngineApi` itself (src/engine/api.ts), seen
 * through comlink. Nothing is listed twice: every method and view of the API
 * is reachable here by construction. Two things are done on the way out:
 * a function argument (a progress or batch callback) is passed as a comlink
 * proxy, and input files' bytes are transferred to the engine, not copied.
 */
export type EngineBridge = Bridged<EngineApi>;

/** What comlink makes of an API object: every method, at any depth, returns a promise of its (cloned) result. */
type Bridged<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : T[K] extends object ? Bridged<T[K]> : never;
};

export function connectEngine(endpoint: Endpoint): EngineBridge {
  return outgoing(wrap<EngineApi>(endpoint)) as EngineBridge;
}

/**
 * Creates the engine's worker before the page is built (src/ui/main.ts); `startEngine` then connects to it. In the
 * built page it exists already: ../engine-start.ts runs as a script of its own ahead of the page's bundle. The
 * browser starts a worker's thread only once the page's thread has taken its reply to the creation, and building
 * the page is one long task: the page yields briefly after this so that the reply is taken first.
 */
export { startEngineEarly } from '../engine-start';

/** Starts the engine worker (or takes the one ../engine-start.ts made) and connects to it. */
export function startEngine(): { bridge: EngineBridge; terminate: () => void } {
  const worker = takeEngineWorker();
  return { bridge: connectEngine(worker), terminate: () => worker.terminate() };
}

/** Wraps comlink's remote so that every call, at any depth (`bridge.views.overview()`), prepares its arguments. */
function outgoing(remote: object): object {
  return new Proxy(remote, {
    get(target, prop) {
      if (prop === 'then') return undefined;
      return outgoing((target as Record<string | symbol, object>)[prop]);
    },
    apply(target, thisArg, args: unknown[]) {
      return Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args.map(prepare));
    },
  });
}

function prepare(arg: unknown): unknown {
  if (typeof arg === 'function') return proxy(arg as (...a: unknown[]) => unknown);
  if (Array.isArray(arg) && arg.length > 0 && arg.every(isInputFile)) {
    const buffers = [...new Set(arg.map((f) => f.bytes.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    return transfer(arg, buffers);
  }
  return arg;
}

function isInputFile(x: unknown): x is InputFile {
  return typeof x === 'object' && x !== null && 'name' in x && (x as InputFile).bytes instanceof Uint8Array;
}

/** Reads browser File objects into the engine's input shape. */
export async function readFiles(files: Iterable<File>): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const f of files)
    out.push({ name: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) });
  return out;
}
