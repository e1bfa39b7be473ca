import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openNativeConnection } from '../../src/engine/duckdb/native-node';

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
});
