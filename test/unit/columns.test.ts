import { describe, expect, test } from 'vitest';
import { ColumnBuilder } from '../../src/engine/ingest/columns';
import { IpcOut } from '../../src/engine/ingest/ipc-out';
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

  // Texts are copied code unit by code unit while ASCII, else encoded as UTF-8: a text that turns non-ASCII late,
  // past the copy's length limit, or full of multi-byte characters must land byte for byte.
  test('texts of every length and script land exactly as given', async () => {
    const db = await openNodeDuckDb();
    const b = new ColumnBuilder({ i: 'i32', s: 'str' });
    const texts = ['', 'a', 'x'.repeat(64), 'y'.repeat(65), 'z'.repeat(5000), `${'a'.repeat(100)}é`, `${'b'.repeat(4095)}ü`];
    texts.push('ü'.repeat(3000), '日本語'.repeat(700), `{:ok, "caf\u00e9 🚀"}`, 'c'.repeat(4096), `${'d'.repeat(4096)}ß`);
    texts.forEach((t, i) => b.push(i, t));
    db.conn.insertArrowFromIPCStream(b.toIPC(), { name: 't', create: true });
    const got = db.conn
      .query('SELECT s FROM t ORDER BY i')
      .toArray()
      .map((r) => r.toJSON().s);
    expect(got).toEqual(texts);
  });

  test('dictionary columns land as the same VARCHAR rows as plain ones, batch after batch, through one output buffer', async () => {
    const db = await openNodeDuckDb();
    const spec = { i: 'i64', node: 'str', pid: 'str', term: 'str' } as const;
    const plain = new ColumnBuilder(spec);
    const dict = new ColumnBuilder(spec, { dictionary: ['node', 'pid'], rows: 16 });
    for (const t of ['a', 'b']) db.conn.query(`CREATE TABLE ${t} (i BIGINT, node VARCHAR, pid VARCHAR, term VARCHAR)`);
    const out = new IpcOut();
    let sizes = [0, 0];
    for (let batch = 0; batch < 3; batch++) {
      // Each batch its own texts (a dictionary left from the batch before would give them wrong values).
      const nodes = [`n${batch}@host`, `ñ${batch}@hôst`];
      for (let k = 0; k < 2000; k++) {
        const i = batch * 2000 + k;
        const node = nodes[k % 2];
        const pid = k % 7 === 0 ? null : `#PID<0.${(k * batch) % 50}.0>`;
        plain.push(i, node, pid, `{:ping, ${i}}`);
        // the hot path's way: an id per text, looked up once, appended per row
        dict.int64(0, i);
        dict.textOf(1, dict.textId(1, node));
        dict.textOf(2, pid === null ? -1 : dict.textId(2, pid));
        dict.str(3, `{:ping, ${i}}`);
        dict.endRow();
      }
      const a = plain.toIPC(out);
      sizes[0] += a.length;
      db.conn.insertArrowFromIPCStream(a, { name: 'a', create: false });
      const b = dict.toIPC(out);
      sizes[1] += b.length;
      db.conn.insertArrowFromIPCStream(b, { name: 'b', create: false });
      plain.reset();
      dict.reset();
    }
    const rows = (t: string) =>
      db.conn
        .query(`SELECT * FROM ${t} ORDER BY i`)
        .toArray()
        .map((r) => JSON.stringify(r.toJSON(), (_, v) => (typeof v === 'bigint' ? Number(v) : v)));
    const a = rows('a');
    expect(a.length).toBe(6000);
    expect(rows('b')).toEqual(a);
    expect(db.conn.query(`SELECT count(DISTINCT node)::INTEGER AS n, count(pid)::INTEGER AS p FROM b`).toArray()[0].toJSON()).toEqual({
      n: 6,
      p: 6000 - 3 * 286,
    });
    expect(sizes[1]).toBeLessThan(sizes[0]);
  });
});
