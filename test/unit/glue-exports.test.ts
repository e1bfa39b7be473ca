import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { glueReads, narrowGlueExports, stripExports } from '../../src/engine/duckdb/glue-exports';
import { MEDIA_POINTER } from '../../src/engine/duckdb/glue-imports';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { openBindings } from '../../src/engine/duckdb/types';
import { exerciseDuckDb } from './duckdb-exercise';

// DuckDB-WASM's glue is handed only the exports it reads (src/engine/duckdb/glue-exports.ts): its loader no
// longer walks the ~75,000 symbols exported for dynamic linking. An export the glue reads but the filter drops
// would break DuckDB at its first use of it, so the names are read from the glue DuckDB-WASM actually ships.
const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs'));

/** Every export name the glue may read: `wasmExports.x`, `wasmExports["x"]`, and its signature wrappers (`e.x=r(e.x)`). */
function namesReadBy(glue: string): Set<string> {
  const names = new Set<string>();
  for (const m of glue.matchAll(/wasmExports(?:\.([A-Za-z_$][\w$]*)|\["([^"]+)"\])/g)) names.add(m[1] ?? m[2]);
  for (const m of glue.matchAll(/\b(\w+)\.([A-Za-z_$][\w$]*)=\w+\(\1\.\2\)/g)) names.add(m[2]);
  return names;
}

const moduleExports = async (file: string) => WebAssembly.Module.exports(await WebAssembly.compile(readFileSync(path.join(dist, file)))).map((e) => e.name);

describe('the exports handed to DuckDB-WASM glue', () => {
  test.each(['duckdb-browser-blocking.mjs', 'duckdb-node-blocking.cjs'])(
    'keep every export the shipped glue in %s reads',
    async (bundle) => {
      const exported = new Set(await moduleExports('duckdb-eh.wasm'));
      const read = [...namesReadBy(readFileSync(path.join(dist, bundle), 'utf8'))].filter((n) => exported.has(n));
      // The scan found the glue's reads (the C API, the runtime's, the signature wrappers'), not nothing.
      for (const n of ['duckdb_web_open', 'duckdb_web_query_run_buffer', 'malloc', '__wasm_call_ctors', 'sbrk']) expect(read).toContain(n);
      expect(read.filter((n) => !glueReads(n))).toEqual([]);
      // …and the filter is what makes start-up cheap: a few hundred of the ~75,000 exports.
      expect(exported.size).toBeGreaterThan(70_000);
      expect([...exported].filter(glueReads).length).toBeLessThan(1_000);
    },
    120_000,
  );

  test('DuckDB-WASM opened through the narrowed view gives its glue only those exports and works', async () => {
    const duck = require(path.join(dist, 'duckdb-node-blocking.cjs')) as typeof import('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs');
    const wasm = path.join(dist, 'duckdb-eh.wasm');
    const db = await duck.createDuckDB(
      { mvp: { mainModule: wasm, mainWorker: '' }, eh: { mainModule: wasm, mainWorker: '' } },
      new duck.VoidLogger(),
      duck.NODE_RUNTIME,
    );
    narrowGlueExports(db);
    let handed: string[] = [];
    const inner = (db as unknown as { instantiateWasm: (i: unknown, d: (i: WebAssembly.Instance, m: unknown) => void) => unknown }).instantiateWasm;
    (db as unknown as { instantiateWasm: typeof inner }).instantiateWasm = (imports, done) =>
      inner(imports, (instance, module) => {
        handed = Object.keys(instance.exports);
        done(instance, module);
      });
    const opened = await openBindings(db);
    expect(handed.length).toBeGreaterThan(0);
    expect(handed.filter((n) => !glueReads(n))).toEqual([]);
    expect(opened.conn.query('SELECT 40 + 2 AS x').toArray()[0].x).toBe(42);
    opened.close();
  }, 120_000);

  test('openNodeDuckDb: queries, prepared statements, Arrow inserts and C++ exceptions still work', async () => {
    const db = await openNodeDuckDb();
    exerciseDuckDb(db);
    db.close();
  }, 120_000);

  test('openNodeDuckDb compiles no one-function module for the OpenGL and OpenAL pointers (glue-imports.ts)', async () => {
    const pointers = WebAssembly.Module.imports(await WebAssembly.compile(readFileSync(path.join(dist, 'duckdb-eh.wasm'))))
      .filter((i) => i.module === 'GOT.func')
      .map((i) => i.name);
    // What the rule leaves null is most of them, and only OpenGL's and OpenAL's.
    const media = pointers.filter((n) => MEDIA_POINTER.test(n));
    expect(media.length).toBeGreaterThan(250);
    expect(media.filter((n) => !/^(emscripten_)?(gl|al|alc)[A-Z]/.test(n) || /^emscripten_(console|out|err)/.test(n))).toEqual([]);
    // The glue compiles a module for each pointer it fills with a JavaScript function: now only the others.
    const Module = WebAssembly.Module;
    let compiled = 0;
    WebAssembly.Module = new Proxy(Module, { construct: (target, args: [BufferSource]) => (compiled++, new target(...args)) });
    try {
      const db = await openNodeDuckDb();
      expect(db.conn.query('SELECT 40 + 2 AS x').toArray()[0].x).toBe(42);
      db.close();
    } finally {
      WebAssembly.Module = Module;
    }
    expect(compiled).toBe(pointers.length - media.length);
  }, 120_000);

  test('the shipped wasm (stripExports): exports exactly those, imports and every other section unchanged, and DuckDB runs on it', async () => {
    const original = readFileSync(path.join(dist, 'duckdb-eh.wasm'));
    const stripped = stripExports(original);
    const [before, after] = await Promise.all([WebAssembly.compile(original), WebAssembly.compile(stripped)]);
    const names = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => `${e.kind} ${e.name}`);
    expect(names(after)).toEqual(names(before).filter((e) => glueReads(e.slice(e.indexOf(' ') + 1))));
    expect(WebAssembly.Module.imports(after)).toEqual(WebAssembly.Module.imports(before));
    for (const section of ['dylink.0', 'name', 'producers', 'target_features'])
      expect(
        WebAssembly.Module.customSections(after, section).map((b) => Buffer.from(b).toString('hex')),
        section,
      ).toEqual(WebAssembly.Module.customSections(before, section).map((b) => Buffer.from(b).toString('hex')));
    // The export names were a fifth of the file.
    expect(stripped.length).toBeLessThan(original.length * 0.85);

    const file = path.join(mkdtempSync(path.join(tmpdir(), 'otpscope-wasm-')), 'duckdb-eh.wasm');
    writeFileSync(file, stripped);
    const duck = require(path.join(dist, 'duckdb-node-blocking.cjs')) as typeof import('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs');
    const db = await duck.createDuckDB(
      { mvp: { mainModule: file, mainWorker: '' }, eh: { mainModule: file, mainWorker: '' } },
      new duck.VoidLogger(),
      duck.NODE_RUNTIME,
    );
    narrowGlueExports(db);
    const opened = await openBindings(db);
    expect(opened.conn.query('SELECT count(*)::INTEGER AS n FROM range(1000) WHERE range % 7 = 0').toArray()[0].n).toBe(143);
    expect(() => opened.conn.query('SELECT * FROM no_such_table')).toThrow(/no_such_table/);
    opened.close();
  }, 120_000);
});
