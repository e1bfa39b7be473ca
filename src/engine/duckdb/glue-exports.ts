/**
 * DuckDB-WASM is built for dynamic linking (its extensions are side modules), so its module exports every one
 * of its ~75,000 symbols. Emscripten's loader walks them all at start-up: a GOT entry (a WebAssembly.Global) for
 * each, a table slot for each function, and three copies of the export object. That was ~1-2 s of the worker's
 * start-up. No side module is ever loaded here (extensions are off, see startupSql in ./types), so the only
 * exports anyone reads are the ones the JavaScript glue names: DuckDB-WASM's C API (`duckdb_web_*`), the
 * Emscripten runtime's own symbols (`__wasm_call_ctors`, `_emscripten_stack_alloc`, `emscripten_stack_get_end`,
 * `dynCall_*`, …) and a few libc functions. The loader is given those (~700) and nothing else; calls between
 * DuckDB's own functions never went through the exports.
 *
 * test/unit/glue-exports.test.ts reads every export name in DuckDB-WASM's shipped glue and checks that this
 * filter keeps it, so an upgrade that starts using another export fails there, not in a user's browser.
 */
const LIBC = new Set(['malloc', 'free', 'calloc', 'memalign', 'memcpy', 'pthread_self', 'sbrk', 'strerror', 'main']);

/** Whether Emscripten's JavaScript glue may read the export `name`. */
export function glueReads(name: string): boolean {
  return /^(duckdb_web_|dynCall_|_*em|__)/.test(name) || LIBC.has(name);
}

/** The instance as the glue should see it: only the exports it reads. */
export function glueView(instance: WebAssembly.Instance): WebAssembly.Instance {
  const exports: Record<string, WebAssembly.ExportValue> = {};
  // Names first: reading an export makes its JavaScript function object.
  for (const name of Object.keys(instance.exports)) if (glueReads(name)) exports[name] = instance.exports[name];
  return { exports } as WebAssembly.Instance;
}

type Instantiate = (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => unknown;

/** Makes DuckDB-WASM's bindings (before `instantiate()`) hand their glue the narrowed view of the instance. */
export function narrowGlueExports(db: object): void {
  const bindings = db as { instantiateWasm: Instantiate };
  const instantiate = bindings.instantiateWasm.bind(db);
  bindings.instantiateWasm = (imports, done) => instantiate(imports, (instance, module) => done(glueView(instance), module));
}
