import { beforeAll, describe, expect, test } from 'vitest';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { asConnection, type EngineConnection } from '../../src/engine/duckdb/connection';
import { DURATION_MACROS, formatDuration } from '../../src/engine/analyses/duration';

// The one duration formatter (src/engine/analyses/duration.ts) and its SQL twin `duration_text`, which builds
// the anomaly texts: examples as a person writes them, and the two giving the same text for many values.

describe('durations as people write them', () => {
  test('three significant digits in the unit that keeps the number at 1 or more, zeros dropped', () => {
    const cases: [number | bigint, string][] = [
      [0, '0 ns'],
      [850, '850 ns'],
      [999.6, '1 µs'],
      [1000, '1 µs'],
      [1005, '1.01 µs'],
      [6670, '6.67 µs'],
      [41642, '41.6 µs'],
      [337_500, '338 µs'],
      [999_600, '1 ms'],
      [1_151_818, '1.15 ms'],
      [1_500_000, '1.5 ms'],
      [40_952_000, '41 ms'],
      [880_723_000, '881 ms'],
      [5_000_000_000, '5 s'],
      [5_000_000_000n, '5 s'],
      [12_345_000_000, '12.3 s'],
      [59_960_000_000, '60 s'],
      [60_000_000_000, '1 min'],
      [125_400_000_000, '2 min 5 s'],
      [3_600_000_000_000, '1 h'],
      [3_780_000_000_000, '1 h 3 min'],
      [-2_500_000, '-2.5 ms'],
      [-0.2, '0 ns'],
    ];
    expect(cases.map(([ns]) => [ns, formatDuration(ns)])).toEqual(cases);
  });

  describe('the SQL macro gives the same text', () => {
    let db: EngineConnection;
    beforeAll(async () => {
      db = asConnection(await openNodeDuckDb());
      for (const s of DURATION_MACROS) db.query(s);
    }, 120_000);

    test('for edges and for values spread over every unit, as integers and as doubles', () => {
      let seed = 7;
      const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const values: number[] = [0, 1, 999, 1000, 1004, 1005, 1995, 9995, 99_950, 999_500, 999_999, 59_999_999_999, 60e9, 3599.5e9, 3600e9, 86_400e9];
      for (let i = 0; i < 3000; i++) values.push(Math.floor(10 ** (next() * 14)), Math.floor(10 ** (next() * 14)) + 0.5);
      const ints = values.filter(Number.isInteger);
      const r1 = db.query(`SELECT v, duration_text(v::BIGINT) AS t FROM unnest([${ints.join(', ')}]::BIGINT[]) AS u(v)`);
      expect(r1.rows.map(([v, t]) => [Number(v), t])).toEqual(ints.map((v) => [v, formatDuration(v)]));
      const r2 = db.query(`SELECT v, duration_text(v) AS t FROM unnest([${values.join(', ')}]::DOUBLE[]) AS u(v)`);
      expect(r2.rows.map(([v, t]) => [v, t])).toEqual(values.map((v) => [v, formatDuration(v)]));
      expect(db.query(`SELECT duration_text(-2500000) AS a, duration_text(NULL) AS b, duration_text(5000 * 1e6) AS c`).rows).toEqual([
        ['-2.5 ms', null, '5 s'],
      ]);
    });
  });
});
