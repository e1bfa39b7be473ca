import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, describe, expect, test } from 'vitest';
import { openNativeConnection, startNativeConnection } from '../../src/engine/duckdb/native-node';

// The native thread opens an in-memory database before it is asked to (native-worker-node.ts); the settings the
// open asks for must still be the database's, and locked.
describe('native DuckDB opens with the settings asked for', () => {
  const temp = mkdtempSync(path.join(tmpdir(), 'otpscope-native-open-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  test.each([1, 3])('threads %i, its own temp directory, memory limit', async (threads) => {
    const db = await openNativeConnection({ threads, tempDirectory: temp, memoryLimit: '300MB' });
    try {
      const [[t, dir, limit, locked]] = db.query(
        `SELECT current_setting('threads'), current_setting('temp_directory'), current_setting('memory_limit'), current_setting('lock_configuration')`,
      ).rows;
      expect([Number(t), dir, limit, locked]).toEqual([threads, temp, '286.1 MiB', true]);
      expect(() => db.query('SET threads = 2')).toThrow(/locked/i);
    } finally {
      db.close();
    }
  });

  test('requests sent before the database is open run after it opened, with its settings', async () => {
    const { connection: db, opened } = startNativeConnection({ threads: 1, tempDirectory: temp });
    try {
      db.post('CREATE TABLE t AS SELECT 42 AS x');
      db.insertArrowIpc('t', tableToIPC(tableFromArrays({ x: Int32Array.from([7]) }), 'stream'));
      expect(db.query(`SELECT list(x ORDER BY x), current_setting('lock_configuration') FROM t`).rows).toEqual([['[7,42]', true]]);
      await opened;
      expect(db.version).toMatch(/^v\d/);
    } finally {
      db.close();
    }
  });

  // Regression test: the thread's early database took requests although the open request failed part-way, before
  // the startup SQL had turned external access off and locked the configuration.
  test('when the open fails, every request fails with why, and opened rejects', async () => {
    const { connection: db, opened } = startNativeConnection({ threads: -1, tempDirectory: temp });
    try {
      db.post('CREATE TABLE t (x INTEGER)');
      expect(() => db.query('SELECT 1')).toThrow(/did not open: .*thread/i);
      await expect(opened).rejects.toThrow(/thread/i);
    } finally {
      db.close();
    }
  });
});
