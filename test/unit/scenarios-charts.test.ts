import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { chartSeries } from '../../src/engine/views/charts';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/cast_burst.exs: 80 casts at once to Scn.Backlog <0.146.0>, which takes ~5 ms per job.
const SERVER = { node: 'nonode@nohost', pid: '<0.146.0>' };

describe('the Charts mailbox series and the queue read at an instant agree', () => {
  let e: Engine;
  let t0: bigint;
  // The Charts view's own series (EngineApi.views.chartSeries), run against the engine.
  const queryCharts = (t0: bigint, procs: (typeof SERVER)[], start: number, end: number, buckets: number) =>
    chartSeries((sql, max) => e.query(sql, max), t0, procs, start, end, buckets);
  beforeAll(async () => {
    e = await loadScenario('cast-burst.zip');
    t0 = BigInt(rows(e, `SELECT min(ts) FROM events`)[0][0] as number | bigint);
  });

  // Regression test: the chart subtracted a message at its receive trace (when the BEAM moved it into the queue,
  // right away) instead of when the callback took it: 0 within ~1 ms of the peak while the queue drained over ~500 ms.
  it('draws, at each instant, the queue length mailbox_at reports', async () => {
    const got: unknown[] = [];
    for (const seq of [45, 168, 225, 315, 405]) {
      const t = BigInt(rows(e, `SELECT ts FROM events WHERE seq = ${seq}`)[0][0] as number | bigint);
      const queued = rows(e, `SELECT count(*) FROM mailbox_at(${t}) WHERE pid = '${SERVER.pid}'`)[0][0];
      // a one-bucket window starting just after the instant: the depth carried into it
      const start = Number(t - t0) + 1;
      const chart = await queryCharts(t0, [SERVER], start, start + 1, 1);
      const size = rows(e, `SELECT state_size FROM state_at(${t}) WHERE pid = '${SERVER.pid}'`)[0][0];
      expect(chart.state[0][0]).toBe(size);
      got.push([seq, chart.mailbox[0][0], queued]);
    }
    expect(got).toEqual([
      [45, 40, 40],
      [168, 79, 79],
      [225, 62, 62],
      [315, 32, 32],
      [405, 2, 2],
    ]);
  });

  it('keeps the peak and the drain in a zoomed-out chart: each bucket at least the queue at its start', async () => {
    const span = Number(rows(e, `SELECT max(ts) - min(ts) FROM events`)[0][0]);
    const chart = await queryCharts(t0, [SERVER], 0, span + 1, 20);
    const series = chart.mailbox[0];
    expect(Math.max(...(series as number[]))).toBe(80);
    for (let k = 0; k < series.length; k++) {
      const at = t0 + BigInt(Math.round(chart.x[k] * 1e6));
      const queued = rows(e, `SELECT count(*) FROM mailbox_at(${at}) WHERE pid = '${SERVER.pid}'`)[0][0] as number;
      expect(series[k]).toBeGreaterThanOrEqual(queued);
    }
    // the queue drains over ~half a second: half-way through it still held dozens of messages
    expect(series[Math.floor(series.length / 2) - 1]).toBeGreaterThan(20);
  });
});

// test/scenarios/name_resolution.exs: <0.357.0> exits with 3 messages queued, which its exit's rows in mailbox_depth
// take out at one instant, each row alike in (ts, delta, seq).
describe('the mailbox series of a process that exited with messages queued', () => {
  // Regression test: the depth carried into a window and a bucket's depth at its end were arg_max(depth, (ts, -delta,
  // seq)), which ties among the exit's rows: the chart read 2 queued after the exit, where mailbox_at reads none.
  it('reads no messages after the exit, as mailbox_at does', async () => {
    const e = await loadScenario('name-resolution.zip');
    const [[exit, first, last]] = rows(
      e,
      `SELECT exited_at, (SELECT min(ts) FROM events), (SELECT max(ts) FROM events) FROM processes WHERE pid = '<0.357.0>'`,
    );
    const depth = (sql: string) => rows(e, `SELECT depth_start, depth_max, depth_end FROM ${sql} WHERE pid = '<0.357.0>'`);
    expect(rows(e, `SELECT count(*)::INTEGER FROM mailbox_at(${last}::BIGINT) WHERE pid = '<0.357.0>'`)).toEqual([[0]]);
    // one bucket over the whole recording; the bucket the exit falls in; a window after the exit (nothing carried in)
    expect(depth(`mailbox_depth_buckets(${first}::BIGINT, ${last}::BIGINT - ${first}::BIGINT + 1, 1)`)).toEqual([[0, 4, 0]]);
    expect(depth(`mailbox_depth_buckets(${exit}::BIGINT, 1, 1)`)).toEqual([[3, 3, 0]]);
    expect(depth(`mailbox_depth_buckets(${exit}::BIGINT + 1, 1000, 1)`)).toEqual([]);
  }, 120_000);
});
