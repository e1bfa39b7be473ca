/**
 * DuckDB-WASM's module is linked with Emscripten's OpenGL and OpenAL libraries (for their proc-address tables),
 * so it imports a function pointer (a `GOT.func` global) for each of ~260 of their JavaScript functions. The glue
 * fills every one at start-up: a JavaScript function cannot go into the wasm table, so it compiles and
 * instantiates a one-function wasm module per pointer, after a first walk of the whole table. DuckDB never draws
 * or plays sound: those pointers get a global of their own holding 0 (a null pointer), outside the glue's table of
 * pointers, which then never resolves them. WASI's `random_get` is served from a pool (bufferedRandom). Every
 * other import is the glue's own.
 *
 * test/unit/glue-exports.test.ts checks that opening DuckDB this way compiles no such module for them.
 */
export const MEDIA_POINTER = /^(emscripten_)?(gl|alc?)[A-Z]/;

/**
 * The glue's imports, with OpenGL's and OpenAL's function pointers left null, and DuckDB's randomness drawn from a
 * pool (bufferedRandom).
 */
export function glueImports(imports: WebAssembly.Imports): WebAssembly.Imports {
  const out = { ...imports };
  const pointers = imports['GOT.func'];
  if (pointers !== undefined)
    out['GOT.func'] = new Proxy(pointers, {
      get: (target, name) =>
        typeof name === 'string' && MEDIA_POINTER.test(name) ? new WebAssembly.Global({ value: 'i32', mutable: true }, 0) : Reflect.get(target, name),
    });
  const wasi = imports.wasi_snapshot_preview1;
  const memory = imports.env?.memory;
  if (wasi !== undefined && typeof wasi.random_get === 'function' && memory instanceof WebAssembly.Memory) {
    const randomGet = bufferedRandom(memory, (bytes) => crypto.getRandomValues(bytes));
    out.wasi_snapshot_preview1 = new Proxy(wasi, { get: (target, name) => (name === 'random_get' ? randomGet : Reflect.get(target, name)) });
  }
  return out;
}

/** Bytes of randomness fetched at a time for DuckDB (see bufferedRandom). */
export const RANDOM_POOL_BYTES = 4096;

/**
 * WASI's `random_get(ptr, len)` over `memory`, served from a pool that `fill` (the platform's cryptographic
 * generator) refills RANDOM_POOL_BYTES at a time. DuckDB asks for 4 bytes at a time, for each table scan, hash
 * table and many other operators it builds: ~3,500 calls for the demo archive's load to every table and the
 * Overview (840 before the first view), each through the glue's import into `crypto.getRandomValues` (in Node 20
 * ~5 µs a call: docs/PERFORMANCE.md). The bytes are the same generator's, each handed out once (and wiped from the pool), as the
 * glue's own /dev/urandom already does with a 1 KiB pool.
 */
export function bufferedRandom(memory: WebAssembly.Memory, fill: (bytes: Uint8Array) => void): (ptr: number, len: number) => number {
  const pool = new Uint8Array(RANDOM_POOL_BYTES);
  let left = 0;
  return (ptr, len) => {
    ptr >>>= 0;
    len >>>= 0;
    const out = new Uint8Array(memory.buffer, ptr, len);
    if (len > RANDOM_POOL_BYTES) {
      // crypto.getRandomValues takes at most 65,536 bytes at once, and no view of a shared memory
      for (let at = 0; at < len; at += 65_536) {
        const part = new Uint8Array(Math.min(65_536, len - at));
        fill(part);
        out.set(part, at);
      }
      return 0;
    }
    if (len > left) {
      fill(pool);
      left = RANDOM_POOL_BYTES;
    }
    out.set(pool.subarray(left - len, left));
    pool.fill(0, left - len, left);
    left -= len;
    return 0;
  };
}

type Instantiate = (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => unknown;

/** Makes DuckDB-WASM's bindings (before `instantiate()`) instantiate their module with `glueImports`. */
export function nullMediaPointers(db: object): void {
  const bindings = db as { instantiateWasm: Instantiate };
  const instantiate = bindings.instantiateWasm.bind(db);
  bindings.instantiateWasm = (imports, done) => instantiate(glueImports(imports), done);
}
