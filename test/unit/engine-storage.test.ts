import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';

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
