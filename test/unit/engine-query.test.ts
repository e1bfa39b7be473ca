import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { withZipComment } from './zip-comment';

describe('the engine query interface', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create(await openNodeDuckDb());
    const name = path.resolve(__dirname, '../fixtures/archives/crash.zip');
    await engine.load([{ name, bytes: new Uint8Array(readFileSync(name)) }]);
  });

  test('query rejects with DuckDB’s message on bad SQL', () => {
    expect(() => engine.query('SELECT nope FROM events')).toThrow(/nope/);
  });

  test('query caps rows but reports the full count; 64-bit timestamps stay exact', () => {
    const r = engine.query('SELECT seq, ts FROM events ORDER BY seq', 5);
    expect(r.rows).toHaveLength(5);
    expect(r.totalRows).toBe(engine.query('SELECT count(*)::INTEGER FROM events').rows[0][0]);
    expect(typeof r.rows[0][1]).toBe('bigint');
    expect(r.columns.map((c) => c.name)).toEqual(['seq', 'ts']);
  });

  test('queryStream hands over every row, in order, in batches', async () => {
    const sql = 'SELECT e.seq, r.range AS k FROM events e, range(100) r ORDER BY e.seq, k';
    const all = engine.query(sql, Number.MAX_SAFE_INTEGER).rows;
    const seen: unknown[][] = [];
    let batches = 0;
    for await (const b of engine.queryStream(sql, 3000)) {
      batches++;
      seen.push(...b.rows);
    }
    expect(seen).toEqual(all);
    expect(batches).toBeGreaterThan(1);
  });

  test('setParams changes a threshold and recomputes the anomalies', () => {
    const crashes = () => engine.query(`SELECT count(*)::INTEGER FROM anomalies WHERE kind = 'restart_loop'`).rows[0][0] as number;
    const before = crashes();
    expect(before).toBeGreaterThan(0);
    engine.setParams({ restart_count: 1_000_000 });
    expect(engine.query(`SELECT value FROM params WHERE name = 'restart_count'`).rows).toEqual([[1_000_000]]);
    expect(crashes()).toBe(0);
    expect(() => engine.setParams({ restart_count: Number.NaN })).toThrow(/not a finite number/);
  });
});

describe('running out of memory', () => {
  test('a file too big for the engine is refused with a clear message, and what was loaded stays', async () => {
    const file = (n: string) => {
      const name = path.resolve(__dirname, '../fixtures/archives', n);
      return { name: n, bytes: new Uint8Array(readFileSync(name)) };
    };
    // Stand in for the browser's 4 GB ceiling with a tiny DuckDB memory limit: just above what the demo takes
    // (settings are locked once a database is open, so the limit is given when opening).
    const probe = await Engine.create(await openNodeDuckDb());
    await probe.load([file('demo.zip')]);
    const limit = `${Math.ceil(probe.memory().duckdbBytes / 1e6) + 1}MB`;
    probe.db.close();
    const engine = await Engine.create(await openNodeDuckDb({ memoryLimit: limit }));
    await engine.load([file('demo.zip')]);
    const before = engine.query('SELECT count(*)::INTEGER FROM events').rows[0][0];
    const bigger = file('crash.zip');
    // Each copy differs in its zip comment (the engine skips a content it already loaded).
    const copies = Array.from({ length: 40 }, (_, i) => ({ name: `copy-${i}.zip`, bytes: withZipComment(bigger.bytes, `copy ${i}`) }));
    const report = await engine.load(copies);
    const oom = report.errors.filter((e) => /too big to load here: DuckDB ran out of memory/.test(e.message));
    expect(oom.length).toBeGreaterThan(0);
    expect(oom[0].message).toMatch(/stay loaded/);
    expect(engine.query('SELECT count(*)::INTEGER FROM events WHERE src = 0').rows[0][0]).toBe(before);
  });
});
