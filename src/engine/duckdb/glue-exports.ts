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

/**
 * The wasm binary with an export section that names only what the glue reads (`glueReads`); every other byte
 * is kept. Done at build time (vite.config.ts): the browser then neither builds the 75,000-function exports
 * object when it instantiates the module (~0.5-1 s of a loaded start-up) nor hands it to the glue.
 */
export function stripExports(wasm: Uint8Array): Uint8Array<ArrayBuffer> {
  const leb = (at: number): [number, number] => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = wasm[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return [value, at];
  };
  const encode = (n: number): number[] => {
    const out: number[] = [];
    do {
      let byte = n & 0x7f;
      n = Math.floor(n / 128);
      if (n > 0) byte |= 0x80;
      out.push(byte);
    } while (n > 0);
    return out;
  };
  if (wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) throw new Error('not a WebAssembly module');
  const parts: Uint8Array[] = [wasm.subarray(0, 8)];
  const decoder = new TextDecoder();
  let at = 8;
  while (at < wasm.length) {
    const [size, body] = leb(at + 1);
    const end = body + size;
    if (wasm[at] !== 7) parts.push(wasm.subarray(at, end));
    else {
      const [count, first] = leb(body);
      const kept: Uint8Array[] = [];
      let p = first;
      for (let i = 0; i < count; i++) {
        const start = p;
        const [length, name] = leb(p);
        const [, next] = leb(name + length + 1); // kind byte, then the index
        if (glueReads(decoder.decode(wasm.subarray(name, name + length)))) kept.push(wasm.subarray(start, next));
        p = next;
      }
      const head = encode(kept.length);
      const length = head.length + kept.reduce((n, k) => n + k.length, 0);
      parts.push(Uint8Array.from([7, ...encode(length), ...head]), ...kept);
    }
    at = end;
  }
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) (out.set(x, o), (o += x.length));
  return out;
}
