import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { shippedDuckDbWasm } from '../../scripts/duckdb-wasm';
import { glueReads } from '../../src/engine/duckdb/glue-exports';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import type { DuckDb } from '../../src/engine/duckdb/types';
import { Engine } from '../../src/engine/engine';
import { exerciseDuckDb } from './duckdb-exercise';

// The site ships DuckDB-WASM's wasm with its exports cut and the code only they reached removed by binaryen's
// wasm-opt (scripts/duckdb-wasm.ts). Code that only the browser would reach at run time is gone for good if that
// pass got it wrong, so the engine runs here on that very file, beside the package's own: the fixture archives
// must give the same tables on both. The first run writes the file under tmp/ (a minute or more).
const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs'));
const archives = path.resolve(__dirname, '../fixtures/archives');
const ARCHIVES = ['demo.zip', 'calltrace.zip', 'crash.zip', 'statem.zip', 'flood.zip'];

let shipped: string;
beforeAll(() => {
  shipped = shippedDuckDbWasm();
}, 900_000);

/** The byte lengths of the modules compiled while `run` runs: which wasm DuckDB-WASM's Node build opened. */
async function compiledSizes<T>(run: () => Promise<T>): Promise<[T, number[]]> {
  const sizes: number[] = [];
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = ((source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    if (!(source instanceof WebAssembly.Module)) sizes.push(source.byteLength);
    return instantiate(source as BufferSource, imports);
  }) as typeof WebAssembly.instantiate;
  try {
    return [await run(), sizes];
  } finally {
    WebAssembly.instantiate = instantiate;
  }
}

describe('the wasm the site ships', () => {
  test('has fewer functions than the package, the same imports it needs, and exports only what the glue reads', async () => {
    const [before, after] = await Promise.all([
      WebAssembly.compile(readFileSync(path.join(dist, 'duckdb-eh.wasm'))),
      WebAssembly.compile(readFileSync(shipped)),
    ]);
    expect(WebAssembly.Module.exports(after).map((e) => e.name)).toEqual(
      WebAssembly.Module.exports(before)
        .map((e) => e.name)
        .filter(glueReads),
    );
    // Imports may only go (functions nothing calls any more); the table, the memory and the GOT stay.
    const key = (i: WebAssembly.ModuleImportDescriptor) => `${i.module} ${i.name} ${i.kind}`;
    const imported = new Set(WebAssembly.Module.imports(before).map(key));
    expect(WebAssembly.Module.imports(after).filter((i) => !imported.has(key(i)))).toEqual([]);
    for (const module of ['GOT.func', 'GOT.mem'])
      expect(WebAssembly.Module.imports(after).filter((i) => i.module === module)).toEqual(
        WebAssembly.Module.imports(before).filter((i) => i.module === module),
      );
    expect(WebAssembly.Module.customSections(after, 'dylink.0').map((b) => Buffer.from(b).toString('hex'))).toEqual(
      WebAssembly.Module.customSections(before, 'dylink.0').map((b) => Buffer.from(b).toString('hex')),
    );
    // The export names were a fifth of the package's file; dead code another tenth of what was left.
    expect(statSync(shipped).size).toBeLessThan(statSync(path.join(dist, 'duckdb-eh.wasm')).size * 0.75);
  }, 120_000);

  describe('runs the engine as the package does', () => {
    let ours: DuckDb;
    let theirs: DuckDb;
    beforeAll(async () => {
      let sizes: number[];
      [ours, sizes] = await compiledSizes(() => openNodeDuckDb({}, shipped));
      expect(sizes).toContain(statSync(shipped).size);
      theirs = await openNodeDuckDb();
    }, 120_000);
    afterAll(() => {
      ours?.close();
      theirs?.close();
    });

    test('queries, prepared statements, Arrow inserts and C++ exceptions', () => exerciseDuckDb(ours));

    test('the fixture archives load into the same tables and views on both', async () => {
      const files = ARCHIVES.map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(archives, name))) }));
      const [a, b] = [await Engine.create(ours), await Engine.create(theirs)];
      for (const engine of [a, b]) {
        expect((await engine.load(files.map((f) => ({ ...f, bytes: f.bytes.slice() })))).errors).toEqual([]);
        await engine.ready();
      }
      const relations = a
        .query(
          "SELECT table_name FROM duckdb_tables() WHERE database_name = 'otpscope' UNION SELECT view_name FROM duckdb_views() WHERE database_name = 'otpscope' AND NOT internal ORDER BY 1",
        )
        .rows.map((r) => String(r[0]));
      expect(relations).toEqual(expect.arrayContaining(['events', 'calls', 'processes', 'states']));
      const dump = (engine: Engine, relation: string) =>
        JSON.stringify(engine.query(`SELECT * FROM "${relation}" ORDER BY ALL`, 1_000_000).rows, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      for (const relation of relations) expect(dump(a, relation), relation).toBe(dump(b, relation));
      expect(Number(a.query('SELECT count(DISTINCT src) FROM events').rows[0][0])).toBe(ARCHIVES.length);
    }, 600_000);
  });
});
