import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { asConnection, type EngineConnection } from '../../src/engine/duckdb/connection';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { Engine } from '../../src/engine/engine';
import { WARM_UP_DATABASE, WarmUp } from '../../src/engine/warm-up';
import { EXPORT_TABLES } from '../../src/cli/export';

// The warm-up (src/engine/warm-up.ts) loads the demo into a scratch database before the user's first load. Nothing
// of it may stay, and a load after it, or one that stops it at any statement, must give the tables a load alone gives.
const archive = (name: string) => [{ name, bytes: new Uint8Array(readFileSync(path.resolve(__dirname, '../fixtures/archives', name))) }];

/** Every exported table's rows, and every database, table and macro the engine's database holds. */
function everything(e: Engine) {
  const tables = Object.fromEntries(EXPORT_TABLES.map((t) => [t, e.query(`SELECT * FROM ${t} ORDER BY ALL`, 1_000_000).rows]));
  const catalog = e.query(
    `SELECT 'database', database_name, '' FROM duckdb_databases()
     UNION ALL SELECT 'table', database_name, table_name FROM duckdb_tables() WHERE database_name <> 'temp'
     UNION ALL SELECT 'macro', database_name, function_name FROM duckdb_functions() WHERE NOT internal
     ORDER BY ALL`,
  ).rows;
  return { tables, catalog };
}

/** The engine's connection, with a hook on each statement of the connections made from it (the warm-up's). */
function watched(db: EngineConnection, onStatement: (n: number) => void): EngineConnection {
  return {
    ...db,
    connect() {
      const own = db.connect();
      let n = 0;
      const count =
        <A extends unknown[], R>(f: (...a: A) => R) =>
        (...a: A): R => {
          onStatement(++n);
          return f(...a);
        };
      return { ...own, query: count(own.query), post: count(own.post), execute: count(own.execute), insertArrowIpc: count(own.insertArrowIpc) };
    },
  };
}

describe('the warm-up', () => {
  test('leaves nothing behind, and a load after it gives what a load alone gives', async () => {
    const fresh = await Engine.create(await openNodeDuckDb());
    const db = asConnection(await openNodeDuckDb());
    const engine = await Engine.create(db);
    const report = await new WarmUp(db).run(archive('demo.zip'));
    expect(report.outcome).toBe('done');
    expect(db.query(`SELECT count(*)::INTEGER FROM duckdb_databases() WHERE database_name = '${WARM_UP_DATABASE}'`).rows).toEqual([[0]]);
    for (const e of [engine, fresh]) expect((await e.load(archive('crash.zip'), undefined, { background: true })).errors).toEqual([]);
    await engine.ready();
    await fresh.ready();
    expect(everything(engine)).toEqual(everything(fresh));
  }, 300_000);

  test('stopped at any statement by a load, it runs no further one, and the load gives what a load alone gives', async () => {
    const fresh = await Engine.create(await openNodeDuckDb());
    await fresh.load(archive('crash.zip'));
    const want = everything(fresh);
    // How many statements a whole warm-up runs; then stops after the first, in the ingest, in the build, before the last.
    const full = await new WarmUp(asConnection(await openNodeDuckDb())).run(archive('demo.zip'));
    expect(full.outcome).toBe('done');
    for (const at of [1, 4, Math.floor(full.statements / 2), full.statements - 1]) {
      const db = asConnection(await openNodeDuckDb());
      const engine = await Engine.create(db);
      let ran = 0;
      let loading: Promise<unknown> | undefined;
      const warm: WarmUp = new WarmUp(
        watched(db, (n) => {
          ran = n;
          // The user's load arrives while the warm-up runs its statement \`at\` (as api.ts wires it: stop, then load).
          if (n === at) {
            warm.stop();
            loading = engine.load(archive('crash.zip'), undefined, { background: true });
          }
        }),
      );
      const report = await warm.run(archive('demo.zip'));
      expect(report, `stopped at ${at}`).toMatchObject({ outcome: 'stopped', statements: at });
      // Only the clean-up (detaching the scratch database) after it.
      expect(ran, `statements after ${at}`).toBe(at + 1);
      await loading;
      await engine.ready();
      expect(everything(engine), `stopped at ${at}`).toEqual(want);
    }
  }, 600_000);
});
