import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { folderDisk, openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { withZipComment } from './zip-comment';

const file = (n: string) => {
  const name = path.resolve(__dirname, '../fixtures/archives', n);
  return { name: n, bytes: new Uint8Array(readFileSync(name)) };
};

describe('where the tables are', () => {
  test('without a disk (Node) they stay in memory; asking for disk says why not and loads anyway', async () => {
    const engine = await Engine.create(await openNodeDuckDb());
    const first = await engine.load([file('demo.zip')]);
    expect(first.storage).toEqual({ where: 'memory', why: 'in memory' });
    expect(first.warnings.filter((w) => /stay in memory/.test(w))).toEqual([]);
    const asked = await engine.load([file('crash.zip')], undefined, { storage: 'disk' });
    expect(asked.errors).toEqual([]);
    expect(asked.storage.where).toBe('memory');
    expect(asked.warnings).toContain('the tables stay in memory: this engine has no database file on disk (only the browser has one, in OPFS)');
    expect(Number(engine.query('SELECT count(DISTINCT src) FROM events').rows[0][0])).toBe(2);
    engine.db.close();
  });
});

describe('tables on disk (DuckDB-WASM in Node, a folder standing in for OPFS)', () => {
  const folder = () => mkdtempSync(path.join(tmpdir(), 'otpscope-disk-')) + path.sep;
  const copies = (n: number) => {
    const crash = file('crash.zip');
    // Each copy differs in its zip comment (the engine skips a content it already loaded).
    return Array.from({ length: n }, (_, i) => ({ name: `copy-${i}.zip`, bytes: withZipComment(crash.bytes, `copy ${i}`) }));
  };
  const digests = (engine: Engine) => {
    const names = engine
      .query(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'otpscope' AND schema_name = 'main' UNION SELECT view_name FROM duckdb_views() WHERE database_name = 'otpscope' AND schema_name = 'main' AND NOT internal ORDER BY 1",
      )
      .rows.map((r) => String(r[0]));
    return Object.fromEntries(names.map((n) => [n, engine.query(`SELECT count(*)::VARCHAR || ' ' || bit_xor(hash(x))::VARCHAR FROM "${n}" AS x`).rows[0][0]]));
  };

  test('storage=disk puts the tables in a database file; every table equals the load in memory', async () => {
    const dir = folder();
    const memory = await Engine.create(await openNodeDuckDb());
    await memory.load([file('statem.zip'), file('crash.zip')]);
    const disk = await Engine.create(await openNodeDuckDb({ diskFolder: dir }), { disk: folderDisk(dir) });
    const report = await disk.load([file('statem.zip'), file('crash.zip')], undefined, { storage: 'disk' });
    expect(report.errors).toEqual([]);
    expect(report.storage).toEqual({ where: 'disk', disk: dir, why: 'asked for (storage=disk)' });
    expect(String(disk.query("SELECT path FROM duckdb_databases() WHERE database_name = 'otpscope'").rows[0][0])).toMatch(/\.db$/);
    expect(readdirSync(dir).some((f) => f.endsWith('.db'))).toBe(true);
    const want = digests(memory);
    expect(Object.keys(want).length).toBeGreaterThan(20);
    expect(digests(disk)).toEqual(want);
    // A later load stays on disk and adds to it.
    const more = await disk.load([file('demo.zip')]);
    expect(more.storage.where).toBe('disk');
    expect(Number(disk.query('SELECT count(DISTINCT src) FROM events').rows[0][0])).toBe(3);
    memory.db.close();
    disk.db.close();
  });

  test('a first load that runs out of memory is loaded again with the tables on disk; what does not fit there either is still too big, and what was loaded stays', async () => {
    // Stand in for the browser's 4 GB with a tiny DuckDB memory limit: just above what the demo takes.
    const probe = await Engine.create(await openNodeDuckDb());
    await probe.load([file('demo.zip')]);
    const limit = `${Math.ceil(probe.memory().duckdbBytes / 1e6) + 1}MB`;
    probe.db.close();
    const dir = folder();
    const engine = await Engine.create(await openNodeDuckDb({ memoryLimit: limit, diskFolder: dir }), { disk: folderDisk(dir) });
    const all = copies(40);
    const report = await engine.load(all);
    expect(report.storage.where).toBe('disk');
    expect(report.warnings[0]).toMatch(/^DuckDB ran out of memory with the tables in memory \(copy-\d+\.zip\); loaded again with them on disk$/);
    // With so little memory, the disk holds some copies, not all: the others are refused with the reason.
    const refused = report.errors.filter((e) => e.file !== 'analysis tables');
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused)
      expect(e.message).toMatch(/too big to load here: DuckDB ran out of memory .* stay loaded\). .*The tables are already in a database file on disk/);
    const loaded = report.sources.map((s) => s.name);
    expect(loaded.length).toBeGreaterThan(0);
    expect([...loaded, ...refused.map((e) => e.file)].sort()).toEqual(all.map((f) => f.name).sort());
    const perCopy = Number(engine.query('SELECT count(*) FROM events_raw WHERE src = 0').rows[0][0]);
    expect(perCopy).toBeGreaterThan(0);
    expect(Number(engine.query('SELECT count(*) FROM events_raw').rows[0][0])).toBe(loaded.length * perCopy);
    engine.db.close();
  });
});
