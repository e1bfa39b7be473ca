import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EngineConnection } from '../../src/engine/duckdb/connection';
import { openNativeConnection } from '../../src/engine/duckdb/native-node';

// `otpscope export` opens native DuckDB with its --parquet folder allowed: SQL may write there (and read back what
// it wrote), and still not touch any other file.
describe('native DuckDB opened for an export writes into that folder and nowhere else', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'otpscope-allowed-'));
  const out = path.join(root, 'out');
  const secret = path.join(root, 'secret.csv');
  const elsewhere = path.join(root, 'elsewhere.csv');
  let db: EngineConnection;
  beforeAll(async () => {
    writeFileSync(secret, 'a,b\n1,2\n');
    mkdirSync(out);
    db = await openNativeConnection({ allowedDirectories: [out] });
  });
  afterAll(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('COPY into the folder works and reads back', () => {
    db.query(`COPY (SELECT 42 AS x) TO '${out}/x.csv'`);
    expect(readFileSync(path.join(out, 'x.csv'), 'utf8')).toBe('x\n42\n');
    expect(db.query(`SELECT * FROM read_csv('${out}/x.csv')`).rows).toEqual([[42]]);
  });

  test.each([
    ['reading a file outside it', () => `SELECT * FROM read_csv('${secret}')`],
    ['writing a file outside it', () => `COPY (SELECT 1) TO '${elsewhere}'`],
    ['climbing out of it with ..', () => `SELECT * FROM read_csv('${out}/../secret.csv')`],
    ['widening the allowed folders', () => `SET allowed_directories = ['/']`],
  ])('%s is refused', (_what, sql) => {
    expect(() => db.query(sql())).toThrow(/disabled by configuration|configuration has been locked/);
    expect(existsSync(elsewhere)).toBe(false);
  });

  test('its spill directory is its own and goes when it closes', async () => {
    const other = await openNativeConnection();
    const dir = String(other.query(`SELECT current_setting('temp_directory')`).rows[0][0]);
    expect(path.basename(dir)).toMatch(/^otpscope-duckdb-/);
    expect(existsSync(dir)).toBe(true);
    other.close();
    expect(existsSync(dir)).toBe(false);
  });
});
