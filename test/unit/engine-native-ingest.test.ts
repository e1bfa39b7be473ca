import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Bool, Float64, Int32, Int64, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import type { EngineConnection } from '../../src/engine/duckdb/connection';
import { openDatabase } from '../../src/cli/main';

// Native DuckDB's appender path (native-ingest-node.ts) writes DuckDB's 16-byte string records itself: strings of
// up to 12 bytes inside the record, longer ones as a pointer into the chunk's text. What goes in must come back
// byte for byte, on both engines alike: around the 12-byte edge, multi-byte UTF-8, empty strings, NULLs, over
// several 2048-row chunks (`small` has NULLs in the first chunk only: a reused chunk must not keep them) and from
// batches that are slices of bigger buffers.
const strings = [
  '',
  'a',
  'twelve bytes',
  'thirteen byte',
  '<0.123.0>',
  'nonode@nohost',
  'Elixir.OtpscopeDemo.WorkerA.handle_call/3',
  'ünïcödé ✓ 𝄞',
  '€€€€',
  '€€€€x',
  'x'.repeat(5000),
  '{:ok, \'quote\', "dq", <<0, 1, 2>>}',
];
const N = 5000;
const rowText = (i: number): string | null => (i % 17 === 5 ? null : `${strings[i % strings.length]}${i % 3 === 0 ? '' : `#${i}`}`);
const rowInt = (i: number): bigint | null => (i % 11 === 3 ? null : BigInt(i) * 1_000_000_007n - 5n);

function batchTable(from: number, to: number): Table {
  const n = to - from;
  const idx = Array.from({ length: n }, (_, k) => from + k);
  return new Table({
    seq: vectorFromArray(
      idx.map((i) => BigInt(i)),
      new Int64(),
    ),
    big: vectorFromArray(idx.map(rowInt), new Int64()),
    small: vectorFromArray(
      idx.map((i) => (i % 7 === 0 && i < 2048 ? null : i - 2500)),
      new Int32(),
    ),
    x: vectorFromArray(
      idx.map((i) => (i % 13 === 0 ? null : i / 8)),
      new Float64(),
    ),
    flag: vectorFromArray(
      idx.map((i) => (i % 5 === 0 ? null : i % 2 === 0)),
      new Bool(),
    ),
    text: vectorFromArray(idx.map(rowText), new Utf8()),
    other: vectorFromArray(
      idx.map((i) => rowText(i * 7 + 1)),
      new Utf8(),
    ),
  });
}

const CREATE = 'CREATE TABLE t (seq BIGINT, big BIGINT, small INTEGER, x DOUBLE, flag BOOLEAN, text VARCHAR, other VARCHAR)';
const READ = 'SELECT seq, big, small, x, flag, text, other, length(text) AS chars, octet_length(encode(text)) AS bytes FROM t ORDER BY seq';

function expected(): unknown[][] {
  return Array.from({ length: N }, (_, i) => {
    const big = rowInt(i);
    const text = rowText(i);
    return [
      i,
      big === null ? null : big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big,
      i % 7 === 0 && i < 2048 ? null : i - 2500,
      i % 13 === 0 ? null : i / 8,
      i % 5 === 0 ? null : i % 2 === 0,
      text,
      rowText(i * 7 + 1),
      text === null ? null : [...text].length,
      text === null ? null : new TextEncoder().encode(text).length,
    ];
  });
}

describe.each(['native', 'wasm'] as const)('rows appended to %s DuckDB read back as they went in', (kind) => {
  let db: EngineConnection;
  beforeAll(async () => {
    db = await openDatabase(kind);
  });
  afterAll(() => db?.close());

  test('one batch of 5000 rows (three chunks)', () => {
    db.query(CREATE);
    db.insertArrowIpc('t', tableToIPC(batchTable(0, N), 'stream'));
    const r = db.query(READ);
    expect(r.totalRows).toBe(N);
    expect(r.rows).toEqual(expected());
    db.query('DROP TABLE t');
  });

  test('batches that are slices of bigger buffers, and a stream of several batches', () => {
    db.query(CREATE);
    const whole = batchTable(0, N);
    // Sliced record batches keep their parent's buffers and start at an offset into them.
    const parts = [whole.slice(0, 1), whole.slice(1, 2049), whole.slice(2049, 3001), whole.slice(3001, N)];
    const batches = parts.flatMap((p) => p.batches);
    expect(batches.some((b) => b.data.children[5].offset > 0)).toBe(true);
    db.insertArrowIpc('t', tableToIPC(new Table(batches), 'stream'));
    expect(db.query(READ).rows).toEqual(expected());
    db.query('DROP TABLE t');
  });

  // (DuckDB-WASM binds no bigint parameters; the engine passes none.)
  test('a parameterised INSERT of many rows (native: several rows per statement) stores what one row at a time stores', () => {
    db.query('CREATE TABLE kv (k VARCHAR, n BIGINT, x DOUBLE, i INTEGER, b BOOLEAN)');
    const rows = Array.from({ length: 1203 }, (_, i) => [
      i % 9 === 0 ? null : `${strings[i % strings.length]}${i}`,
      i % 4 === 0 ? 4_000_000_000_000 + i : i,
      i % 6 === 0 ? null : i / 4,
      i % 5 === 0 ? 1.5 : -i,
      i % 7 === 0 ? null : i % 2 === 0,
    ]);
    db.execute('INSERT INTO kv VALUES (?, ?, ?, ?, ?)', rows);
    const one = rows.slice(0, 3);
    db.query('CREATE TABLE kv1 AS FROM kv LIMIT 0');
    for (const row of one) db.execute('INSERT INTO kv1 VALUES (?, ?, ?, ?, ?)', [row]);
    const got = db.query('SELECT k, n, x, i, b FROM kv').rows;
    expect(got).toEqual(rows.map(([k, n, x, i, b]) => [k, n, x, i === 1.5 ? 2 : i, b]));
    expect(db.query('SELECT * FROM kv1').rows).toEqual(got.slice(0, 3));
    db.query('DROP TABLE kv; DROP TABLE kv1');
  });

  test('strings compare, group and join by their whole text (the 4-byte prefix of long ones included)', () => {
    db.query(CREATE);
    db.insertArrowIpc('t', tableToIPC(batchTable(0, N), 'stream'));
    const distinct = new Set(Array.from({ length: N }, (_, i) => rowText(i)).filter((s) => s !== null)).size;
    const [[groups, joined, ordered]] = db.query(
      `SELECT (SELECT count(DISTINCT text) FROM t),
              (SELECT count(*) FROM t a JOIN t b ON a.text = b.text AND a.seq = b.seq),
              (SELECT count(*) FROM (SELECT text, lag(text) OVER (ORDER BY text) AS prev FROM t WHERE text IS NOT NULL) WHERE prev > text)`,
    ).rows;
    expect(Number(groups)).toBe(distinct);
    expect(Number(joined)).toBe(expected().filter((r) => r[5] !== null).length);
    expect(Number(ordered)).toBe(0);
    db.query('DROP TABLE t');
  });
});
