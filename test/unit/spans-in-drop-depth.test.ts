import { describe, expect, it } from 'vitest';
import { asConnection } from '../../src/engine/duckdb/connection';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { markSpansInDrop } from '../../src/engine/sql/spans-states';

// markSpansInDrop on a `spans` table as the pairing leaves it (both analyses run it on their finished table): c calls
// p, p calls k, which returns; the recorder drops events from 35 to 38 (c's and p's returns among them, neither
// seen); then a calls b and both return. The pairing kept c's and p's levels open, so a and b read as p's child and
// grandchild. Regression test: an in_drop call's level was never closed, so every later call of its process sat
// under it (scenarios-span-drops.test.ts has the recorded case, one level deep).
describe('an in_drop call closes its level where it ends', () => {
  it('moves the calls after it up one level per such call below them, with their parents and self times found again', async () => {
    const db = asConnection(await openNodeDuckDb());
    db.query(`CREATE TABLE spans AS SELECT * FROM (VALUES
      ('n', '<0.1.0>', 'M.c/0', 0, 1, NULL, 10, NULL, NULL, NULL, 'unfinished', '[]', NULL, NULL),
      ('n', '<0.1.0>', 'M.p/0', 1, 2, NULL, 20, NULL, NULL, NULL, 'unfinished', '[]', NULL, 1),
      ('n', '<0.1.0>', 'M.k/0', 2, 3, 4, 25, 30, 5, 5, 'return', '[]', '1', 2),
      ('n', '<0.1.0>', 'M.a/0', 2, 6, 9, 40, 60, 20, 10, 'return', '[]', '1', 2),
      ('n', '<0.1.0>', 'M.b/0', 3, 7, 8, 45, 55, 10, 10, 'return', '[]', '1', 6),
      ('n', '<0.2.0>', 'M.x/0', 0, 10, 11, 40, 50, 10, 10, 'return', '[]', '1', NULL)
    ) t(node, pid, mfa, depth, call_seq, end_seq, started_at, ended_at, duration_ns, self_ns, outcome, args, result, parent_seq)`);
    db.query(`CREATE TABLE drops AS SELECT 'n' AS node, 0 AS src, 35 AS from_ts, 38 AS to_ts, 1 AS count, 'rate' AS reason`);
    db.query(`CREATE TABLE processes AS SELECT 'n' AS node, pid, NULL::BIGINT AS exited_at FROM (VALUES ('<0.1.0>'), ('<0.2.0>')) t(pid)`);
    for (const s of markSpansInDrop()) db.query(s);
    const rows = db.query('SELECT mfa, depth, outcome, ended_at, duration_ns, self_ns, parent_seq FROM spans ORDER BY call_seq').rows;
    expect(rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)))).toEqual([
      ['M.c/0', 0, 'in_drop', 35, 25, null, null],
      ['M.p/0', 1, 'in_drop', 35, 15, null, 1],
      // before the drop: p's child, as it was
      ['M.k/0', 2, 'return', 30, 5, 5, 2],
      // after it: at the depth it would have had with c's and p's returns seen, b still its child
      ['M.a/0', 0, 'return', 60, 20, 10, null],
      ['M.b/0', 1, 'return', 55, 10, 10, 6],
      // another process of the node: untouched
      ['M.x/0', 0, 'return', 50, 10, 10, null],
    ]);
  });
});
