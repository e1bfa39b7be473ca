import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { expect } from 'vitest';
import type { DuckDb } from '../../src/engine/duckdb/types';

/**
 * Queries, a prepared statement, an Arrow insert and C++ exceptions on `db`: what a DuckDB-WASM opened another
 * way (the glue's narrowed exports, the wasm the site ships) must still do. Leaves no table behind.
 */
export function exerciseDuckDb(db: DuckDb): void {
  const { conn } = db;
  conn.query('CREATE TABLE exercise (n INTEGER, s VARCHAR)');
  conn.insertArrowFromIPCStream(tableToIPC(tableFromArrays({ n: Int32Array.from([1, 2, 3]), s: ['a', 'b', 'c'] }), 'stream'), {
    name: 'exercise',
    create: false,
  });
  const stmt = conn.prepare("SELECT string_agg(s, ',' ORDER BY n) AS s FROM exercise WHERE n >= ?");
  expect(stmt.query(2).toArray()[0].s).toBe('b,c');
  stmt.close();
  // A binder error is a C++ exception thrown and caught inside the module: its message must come through.
  expect(() => conn.query('SELECT * FROM no_such_table')).toThrow(/no_such_table/);
  expect(() => conn.query('SELEC 1')).toThrow(/syntax error/i);
  expect(() => conn.query("SELECT 'x'::INTEGER")).toThrow(/Conversion Error/);
  expect(conn.query('SELECT sum(n)::INTEGER AS total FROM exercise').toArray()[0].total).toBe(6);
  conn.query('DROP TABLE exercise');
}
