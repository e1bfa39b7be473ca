import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { openDatabase } from '../../src/cli/main';
import { Engine } from '../../src/engine/engine';
import { DEFERRED_RAW_TABLES } from '../../src/engine/sql/build';

// The ingest tables the first view does not read are held back for after it on DuckDB-WASM only. Native DuckDB
// appends on a thread of its own while the next batch is decoded, so there they go in as they come (before the
// analysis begins), unless the command reads only tables built without them; and a load of more than a few thousand
// events then checkpoints, so the tables are compressed before the analysis (see native-spill.test.ts for a build
// that needs that). A small load skips the checkpoint: its tables are a megabyte or two.
const bytes = new Uint8Array(readFileSync(path.resolve(__dirname, '../fixtures/archives/demo.zip')));
const rowsOf = (engine: Engine, table: string) => Number(engine.db.query(`SELECT count(*) FROM ${table}`).rows[0][0]);

describe('native DuckDB: the ingest tables the first view does not read', () => {
  test('go in while the archive is read, before the first analysis statement', async () => {
    const db = await openDatabase('native');
    try {
      const engine = await Engine.create(db);
      const atAnalysis: Record<string, number> = {};
      const report = await engine.load([{ name: 'demo.zip', bytes }], (p) => {
        if (p.phase === 'analysing' && Object.keys(atAnalysis).length === 0) for (const t of DEFERRED_RAW_TABLES) atAnalysis[t] = rowsOf(engine, t);
      });
      expect(report.errors).toEqual([]);
      for (const t of DEFERRED_RAW_TABLES) expect(atAnalysis[t], t).toBe(rowsOf(engine, t));
      expect(atAnalysis.call_msgs_raw).toBeGreaterThan(0);
      expect(atAnalysis.consumed_raw).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  test('a small load leaves them uncompressed: no checkpoint for a few kilobytes of tables', async () => {
    const db = await openDatabase('native');
    try {
      const engine = await Engine.create(db);
      const report = await engine.load([{ name: 'demo.zip', bytes }]);
      expect(report.errors).toEqual([]);
      const compressions = db.query(`SELECT DISTINCT compression FROM pragma_storage_info('events_raw')`).rows.map((r) => r[0]);
      expect(compressions).toEqual(['Uncompressed']);
    } finally {
      db.close();
    }
  });

  test('are not inserted at all for a command that reads only events', async () => {
    const db = await openDatabase('native');
    try {
      const engine = await Engine.create(db);
      const report = await engine.load([{ name: 'demo.zip', bytes }], undefined, { tables: ['events'] });
      expect(report.errors).toEqual([]);
      expect(rowsOf(engine, 'events')).toBeGreaterThan(0);
      for (const t of DEFERRED_RAW_TABLES) expect(rowsOf(engine, t), t).toBe(0);
    } finally {
      db.close();
    }
  });
});
