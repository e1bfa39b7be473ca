import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, type InputFile } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { BUILD_ALL, BUILD_IN_EVENT_RANGES } from '../../src/engine/sql/build';
import { inEventRanges, inKeyParts } from '../../src/engine/sql/event-ranges';

// Big tables built one range of events at a time (DuckDB-WASM keeps a statement's rows uncompressed until it
// commits): the same tables, in the same order where the statement orders them, as one statement builds.

const fixtures = path.resolve(__dirname, '../fixtures');
const input = (rel: string): InputFile => ({ name: rel, bytes: new Uint8Array(readFileSync(path.join(fixtures, rel))) });

describe('inEventRanges', () => {
  const sql = 'CREATE OR REPLACE TABLE t AS\nSELECT seq FROM events ORDER BY seq';

  it('leaves a load of one range as one statement', () => {
    expect(inEventRanges(sql, 'seq', 100, 100)).toEqual([sql]);
  });

  it('makes the empty table, then one insert per range, the first and last ranges open', () => {
    expect(inEventRanges(sql, 'seq', 250, 100)).toEqual([
      'CREATE OR REPLACE TABLE t AS SELECT * FROM (SELECT seq FROM events ORDER BY seq) WITH NO DATA',
      'INSERT INTO t SELECT * FROM (SELECT seq FROM events ORDER BY seq) WHERE seq < 100',
      'INSERT INTO t SELECT * FROM (SELECT seq FROM events ORDER BY seq) WHERE seq >= 100 AND seq < 200',
      'INSERT INTO t SELECT * FROM (SELECT seq FROM events ORDER BY seq) WHERE seq >= 200',
    ]);
  });

  it('refuses a statement that does not create a table from a query', () => {
    expect(() => inEventRanges('CREATE OR REPLACE TEMP TABLE t AS SELECT 1', 'seq', 10, 1)).toThrow(/not a CREATE OR REPLACE TABLE/);
  });
});

describe('inKeyParts', () => {
  const sql = 'CREATE OR REPLACE TABLE g AS\nSELECT tag_id, min(seq) AS seq FROM calls_raw GROUP BY tag_id';

  it('leaves one part as one statement', () => {
    expect(inKeyParts(sql, 'tag_id', 1)).toEqual([sql]);
  });

  it('makes the empty table, then one insert per range of the key, the first (with NULL) and last ranges open', () => {
    const q = '(SELECT tag_id, min(seq) AS seq FROM calls_raw GROUP BY tag_id)';
    expect(inKeyParts(sql, 'tag_id', 3, 300)).toEqual([
      `CREATE OR REPLACE TABLE g AS SELECT * FROM ${q} WITH NO DATA`,
      `INSERT INTO g SELECT * FROM ${q} WHERE (tag_id < 100 OR tag_id IS NULL)`,
      `INSERT INTO g SELECT * FROM ${q} WHERE tag_id >= 100 AND tag_id < 200`,
      `INSERT INTO g SELECT * FROM ${q} WHERE tag_id >= 200`,
    ]);
  });
});

describe('an engine building tables in event ranges', () => {
  const RANGE = 100;

  it('builds the same tables as one statement each, on archives merged from several nodes', async () => {
    const inputs = ['archives/demo.zip', 'archives/crash.zip', 'archives/statem.zip', 'scenarios/name-resolution.zip', 'scenarios/call-timeout.zip'].map(input);
    const whole = await Engine.create(await openNodeDuckDb());
    const ranged = await Engine.create(await openNodeDuckDb(), { rangeEvents: RANGE });
    expect((await whole.load(inputs)).errors).toEqual([]);
    // What the ranged engine ran: each table in ranges (not one statement, as the small load would otherwise).
    const ran: string[] = [];
    const query = ranged.db.query.bind(ranged.db);
    ranged.db.query = (sql, maxRows) => (ran.push(sql), query(sql, maxRows));
    expect((await ranged.load(inputs)).errors).toEqual([]);
    for (const t of ['send_targets', 'messages', 'calls', 'causal_links', 'call_g', 'call_req', 'states', 'mailbox_d'])
      expect(ran.join('\n'), t).toContain(`INSERT INTO ${t} SELECT * FROM (`);
    // mailbox_depth one range of timestamps at a time, each process's depth carried from the ranges before.
    expect(ran.join('\n').match(/INSERT INTO mailbox_depth SELECT k\.node/g)?.length).toBeGreaterThan(3);
    const events = Number(whole.query('SELECT count(*) FROM events').rows[0][0]);
    // Several ranges, the last one open.
    expect(events).toBeGreaterThan(3 * RANGE);
    const tables = [...BUILD_IN_EVENT_RANGES.keys()].map((sql) => /TABLE (\w+) AS/.exec(sql)![1]);
    expect(tables).toEqual(expect.arrayContaining(['messages', 'send_targets', 'spans', 'states', 'mailbox_d']));
    // Stored order where the statement orders its rows; as a set otherwise. Then what is built on them.
    const rows = (e: Engine, sql: string) =>
      e.query(sql, Number.MAX_SAFE_INTEGER).rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
    for (const [sql] of BUILD_IN_EVENT_RANGES) {
      const t = /TABLE (\w+) AS/.exec(sql)![1];
      // A step's own tables (dropped once the step is done) count through the tables built on them.
      if (BUILD_ALL.includes(`DROP TABLE ${t}`)) continue;
      const ordered = /ORDER BY [\w., ]+$/.test(sql.trim());
      const a = rows(whole, `SELECT * FROM ${t}`);
      const b = rows(ranged, `SELECT * FROM ${t}`);
      expect({ t, rows: ordered ? b : b.sort() }).toEqual({ t, rows: ordered ? a : a.sort() });
      expect(a.length, t).toBeGreaterThan(0);
    }
    await Promise.all([whole.ready(['causal_links']), ranged.ready(['causal_links'])]);
    for (const t of ['calls', 'states', 'mailbox_depth', 'causal_links', 'anomalies', 'anomaly_events'])
      expect({ t, rows: rows(ranged, `SELECT * FROM ${t}`).sort() }).toEqual({ t, rows: rows(whole, `SELECT * FROM ${t}`).sort() });
  }, 120_000);

  it('renumbers archives whose events interleave one range of timestamps at a time, as one sort does', async () => {
    // Two nodes' archives of the same minutes: their events interleave, so the load is resequenced after ingest.
    const inputs = ['scenarios/cross-node-a.zip', 'scenarios/cross-node-b.zip'].map(input);
    const whole = await Engine.create(await openNodeDuckDb());
    const ranged = await Engine.create(await openNodeDuckDb(), { rangeEvents: 4 });
    const ran: string[] = [];
    const query = ranged.db.query.bind(ranged.db);
    ranged.db.query = (sql, maxRows) => (ran.push(sql), query(sql, maxRows));
    for (const e of [whole, ranged]) {
      expect((await e.load(inputs)).errors).toEqual([]);
      await e.ready();
    }
    expect(ran.filter((q) => q.startsWith('INSERT INTO reseq')).length).toBeGreaterThan(3);
    const rows = (e: Engine, sql: string) =>
      e.query(sql, Number.MAX_SAFE_INTEGER).rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
    const events = rows(whole, 'SELECT * FROM events ORDER BY seq');
    // Renumbered: the ingest order (node a's file, then node b's) is not the timestamp order.
    expect(rows(whole, 'SELECT seq FROM events ORDER BY src, ord')).not.toEqual(rows(whole, 'SELECT seq FROM events ORDER BY seq'));
    expect(rows(ranged, 'SELECT * FROM events ORDER BY seq')).toEqual(events);
    for (const t of ['messages', 'calls', 'spans', 'states', 'mailbox_depth'])
      expect({ t, rows: rows(ranged, `SELECT * FROM ${t}`).sort() }).toEqual({ t, rows: rows(whole, `SELECT * FROM ${t}`).sort() });
  });
});
