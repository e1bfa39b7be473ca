/**
 * DuckDB-WASM's module is linked with Emscripten's OpenGL and OpenAL libraries (for their proc-address tables),
 * so it imports a function pointer (a `GOT.func` global) for each of ~260 of their JavaScript functions. The glue
 * fills every one at start-up: a JavaScript function cannot go into the wasm table, so it compiles and
 * instantiates a one-function wasm module per pointer, after a first walk of the whole table. DuckDB never draws
 * or plays sound: those pointers get a global of their own holding 0 (a null pointer), outside the glue's table of
 * pointers, which then never resolves them. Every other import is the glue's own.
 *
 * test/unit/glue-exports.test.ts checks that opening DuckDB this way compiles no such module for them.
 */
export const MEDIA_POINTER = /^(emscripten_)?(gl|alc?)[A-Z]/;

/** The glue's imports, with OpenGL's and OpenAL's function pointers left null. */
export function glueImports(imports: WebAssembly.Imports): WebAssembly.Imports {
  const pointers = imports['GOT.func'];
  if (pointers === undefined) return imports;
  const got = new Proxy(pointers, {
    get: (target, name) =>
      typeof name === 'string' && MEDIA_POINTER.test(name) ? new WebAssembly.Global({ value: 'i32', mutable: true }, 0) : Reflect.get(target, name),
  });
  return { ...imports, 'GOT.func': got };
}

type Instantiate = (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => unknown;

/** Makes DuckDB-WASM's bindings (before `instantiate()`) instantiate their module with `glueImports`. */
export function nullMediaPointers(db: object): void {
  const bindings = db as { instantiateWasm: Instantiate };
  const instantiate = bindings.instantiateWasm.bind(db);
  bindings.instantiateWasm = (imports, done) => instantiate(glueImports(imports), done);
}
