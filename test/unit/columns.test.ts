import { describe, expect, test } from 'vitest';
import { ColumnBuilder } from '../../src/engine/ingest/columns';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';

describe('ColumnBuilder', () => {
  // Regression test for rows after an early NULL coming out NULL: the validity
  // bitmap was sized when the first NULL arrived and read past its end once the
  // column had grown (every archive over ~1k events lost terms this way).
  test('a NULL early in a batch leaves every later value intact', async () => {
    const db = await openNodeDuckDb();
    const b = new ColumnBuilder({ s: 'str', n: 'i64', x: 'f64' });
    const rows = 5000;
    for (let i = 0; i < rows; i++) b.push(i === 3 ? null : `v${i}`, i === 3 ? null : i * 1000, i === 3 ? null : i / 2);
    db.conn.insertArrowFromIPCStream(b.toIPC(), { name: 't', create: true });
    const [r] = db.conn
      .query(`SELECT count(s)::INTEGER AS s, count(n)::INTEGER AS n, count(x)::INTEGER AS x, max(s) FILTER (WHERE n = 4999000) AS last FROM t`)
      .toArray();
    expect(r.toJSON()).toEqual({ s: rows - 1, n: rows - 1, x: rows - 1, last: 'v4999' });
  });

  test('after reset() a batch starts clean: no NULLs carried over', async () => {
    const db = await openNodeDuckDb();
    const b = new ColumnBuilder({ s: 'str' });
    b.push(null);
    b.push('a');
    b.reset();
    for (let i = 0; i < 3000; i++) b.push(`r${i}`);
    db.conn.insertArrowFromIPCStream(b.toIPC(), { name: 't', create: true });
    const [r] = db.conn.query(`SELECT count(s)::INTEGER AS c, min(s) AS lo FROM t`).toArray();
    expect(r.toJSON()).toEqual({ c: 3000, lo: 'r0' });
  });
});
