import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { createEngineApi } from '../../src/engine/api';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { Engine } from '../../src/engine/engine';

// The flame chart's data (src/engine/views/flame.ts) on the recorder's calltrace archive: process
// <0.180.0> ran OtpscopeDemo.Calc.sum/1 recursively (4 levels, then 32 under mean/1), count/1, and
// parse!/1 twice, the second raising. Checked row by row, and against a slow reference that pairs
// the process's call and return/exception events with a stack.

const dir = path.resolve(__dirname, '../fixtures/archives');
const input = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) });
const proc = { node: 'nonode@nohost', pid: '<0.180.0>' };

describe('flame chart (calltrace.zip)', () => {
  const api = createEngineApi(async () => Engine.create(await openNodeDuckDb()));
  let t0 = 0n;

  beforeAll(async () => {
    const report = await api.load([input('calltrace.zip')]);
    expect(report.errors).toEqual([]);
    t0 = (await api.views.traceSpan())!.start;
  }, 120_000);

  const rel = (t: bigint) => Number(t - t0);

  test('every call of the process, outermost first, with its depth, duration, self time and outcome', async () => {
    const chart = await api.views.flameChart(proc);
    expect([chart.calls, chart.maxDepth, chart.hidden, chart.slices.length]).toEqual([39, 31, 0, 39]);
    expect(chart.extent && [rel(chart.extent.start), rel(chart.extent.end)]).toEqual([5848, 1211657 + 784063]);
    const depth0 = chart.slices
      .filter((s) => s.depth === 0)
      .map((s) => [s.call_seq, s.end_seq, s.mfa, rel(s.started_at), Number(s.duration_ns), Number(s.self_ns), s.outcome, s.args, s.result]);
    expect(depth0).toEqual([
      [1, 8, 'OtpscopeDemo.Calc.sum/1', 5848, 6670, 2493, 'return', '[[1, 2, 3]]', '6'],
      [9, 74, 'OtpscopeDemo.Calc.mean/1', 15172, 41642, 2144, 'return', '[{:"$truncated", :list, 30, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}]', '15'],
      [75, 78, 'OtpscopeDemo.Calc.parse!/1', 57585, 1151818, 1151818, 'return', '["42"]', '42'],
      [
        79,
        82,
        'OtpscopeDemo.Calc.parse!/1',
        1211657,
        784063,
        784063,
        'exception',
        '["forty-two"]',
        '{:error, %ArgumentError{message: "not an integer: \\"forty-two\\""}}',
      ],
    ]);
    // Under mean/1: sum/1 (which recursed 31 levels deeper) and then count/1, both at depth 1.
    expect(chart.slices.filter((s) => s.depth === 1).map((s) => [s.call_seq, s.mfa, rel(s.started_at), Number(s.duration_ns)])).toEqual([
      [2, 'OtpscopeDemo.Calc.sum/1', 7911, 4177],
      [10, 'OtpscopeDemo.Calc.sum/1', 16434, 38707],
      [72, 'OtpscopeDemo.Calc.count/1', 55662, 791],
    ]);
    expect(chart.slices.filter((s) => s.depth === 31).map((s) => [s.call_seq, s.end_seq, rel(s.started_at), Number(s.duration_ns)])).toEqual([
      [40, 41, 43865, 571],
    ]);
  });

  test('the slices are the pairs of call and return/exception events, stacked by nesting', async () => {
    const r = await api.console.run(`SELECT seq, ts, kind, mfa FROM events WHERE pid = '<0.180.0>' AND kind IN ('call', 'return', 'exception') ORDER BY seq`, {
      maxRows: 10_000,
    });
    const stack: { seq: number; ts: bigint }[] = [];
    const want: [number, number, number, bigint, bigint][] = [];
    for (const [seq, ts, kind] of r.rows as [bigint | number, bigint, string][]) {
      if (kind === 'call') stack.push({ seq: Number(seq), ts });
      else {
        const c = stack.pop()!;
        want.push([c.seq, Number(seq), stack.length, c.ts, ts]);
      }
    }
    expect(stack).toEqual([]);
    want.sort((a, b) => a[2] - b[2] || Number(a[3] - b[3]));
    const got = (await api.views.flameChart(proc)).slices.map((s) => [s.call_seq, s.end_seq, s.depth, s.started_at, s.ended_at]);
    expect(got).toEqual(want);
  });

  test('a window keeps the calls overlapping it; decimation to pixels and a limit leave calls out and count them', async () => {
    // The two parse!/1 calls only.
    const w = { start: t0 + 57585n, end: t0 + 1211657n + 784063n };
    const both = await api.views.flameChart(proc, w);
    expect(both.slices.map((s) => s.call_seq)).toEqual([75, 79]);
    expect([both.calls, both.maxDepth, both.hidden]).toEqual([39, 31, 0]);
    // Two pixels for the whole extent (1989872 ns): 994936 ns each. At depth 0, sum/1, mean/1 and the first parse!/1
    // start in the first pixel (the parse!/1 is the longest, 1151818 ns) and the second parse!/1 in the second; at
    // depths 1-3 the sum/1 under mean/1 outlasts the one before it (and count/1); deeper, one call each.
    const two = await api.views.flameChart(proc, null, 2);
    expect([two.pixelNs, two.hidden]).toEqual([994936, 6]);
    expect(two.slices.map((s) => s.call_seq)).toEqual([75, 79, 10, 11, 12, ...Array.from({ length: 28 }, (_, i) => 13 + i)]);
    // The 3 first of the outermost calls, in time order.
    const three = await api.views.flameChart(proc, null, 0, 3);
    expect([three.slices.map((s) => s.call_seq), three.hidden]).toEqual([[1, 9, 75], 36]);
  });

  test('a process without traced calls has an empty chart', async () => {
    const none = await api.views.flameChart({ node: 'nonode@nohost', pid: '<0.181.0>' });
    expect(none).toEqual({ slices: [], calls: 0, maxDepth: 0, extent: null, pixelNs: 0, hidden: 0 });
  });

  test('the processes with calls, most first', async () => {
    expect(await api.views.flameProcesses()).toEqual([{ node: 'nonode@nohost', pid: '<0.180.0>', calls: 39, max_depth: 31 }]);
  });
});
