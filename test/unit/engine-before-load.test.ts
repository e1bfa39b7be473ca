import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createEngineApi } from '../../src/engine/api';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { Engine } from '../../src/engine/engine';
import { EXPORT_TABLES } from '../../src/cli/export';

// The engine answers as soon as DuckDB is open and builds the analysis tables with the first load (building them
// over empty tables at start-up cost seconds of the browser's start). Before any load every table must still be
// there, empty: to the engine's queries, to the SQL console's own connection, and to a comparison.
const demo = path.resolve(__dirname, '../fixtures/archives/demo.zip');
const input = () => [{ name: 'demo.zip', bytes: new Uint8Array(readFileSync(demo)) }];

describe('before any load', () => {
  test('every table of docs/SCHEMA.md is there, empty, for queries, the SQL console and setParams', async () => {
    const api = createEngineApi(async () => Engine.create(await openNodeDuckDb()));
    // The console first: it reads through a connection of its own.
    const viaConsole = await api.console.run('SELECT count(*)::INTEGER FROM calls');
    expect(viaConsole.rows).toEqual([[0]]);
    await api.setParams({ slow_call_floor_ms: 1000 });
    const engine = await Engine.create(await openNodeDuckDb());
    // meta holds the schema version and params the default thresholds from the start; the rest is empty.
    for (const t of EXPORT_TABLES.filter((t) => t !== 'meta' && t !== 'params'))
      expect(engine.query(`SELECT count(*)::INTEGER FROM ${t}`).rows, t).toEqual([[0]]);
    expect(engine.query('SELECT count(*) > 0 FROM params').rows).toEqual([[true]]);
  }, 300_000);

  test('a load after queries on the empty tables gives what a load alone gives', async () => {
    const queried = await Engine.create(await openNodeDuckDb());
    queried.query('SELECT * FROM anomalies');
    const fresh = await Engine.create(await openNodeDuckDb());
    for (const e of [queried, fresh]) expect((await e.load(input())).errors).toEqual([]);
    for (const t of EXPORT_TABLES) {
      const sql = `SELECT * FROM ${t} ORDER BY ALL`;
      expect(queried.query(sql, 1_000_000).rows, t).toEqual(fresh.query(sql, 1_000_000).rows);
    }
  }, 300_000);
});
