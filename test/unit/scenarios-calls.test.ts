import { describe, expect, it } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/cast_burst.exs: Scn.Backlog <0.146.0>; a call that waited behind 80 casts (#170, ~533 ms) and one answered at once (#415).
describe('call groups, latency histograms and state origins come from the engine', () => {
  // Regression test: log2 buckets were labelled by their start (2^28 ns = "268.44 ms" held a 533 ms call).
  it('buckets latencies on round 1-2-5 edges, every call with a latency counted once', async () => {
    const e = await loadScenario('cast-burst.zip');
    expect(rows(e, `SELECT call_seq, latency_ns // 1000000 FROM calls ORDER BY call_seq`)).toEqual([
      [170, 533],
      [415, 0],
    ]);
    const hist = rows(e, `SELECT bucket, lo_ns, hi_ns, n FROM latency_histogram((SELECT list(latency_ns) FROM call_shapes))`);
    expect(hist[0]).toEqual([12, 10_000, 20_000, 1]);
    expect(hist[hist.length - 1]).toEqual([26, 500_000_000, 1_000_000_000, 1]);
    expect(hist.length).toBe(15);
    expect(hist.reduce((s, r) => s + (r[3] as number), 0)).toBe(2);
    // each bucket ends where the next starts
    for (let i = 1; i < hist.length; i++) expect(hist[i][1]).toBe(hist[i - 1][2]);
    expect(rows(e, `SELECT latency_bucket_lo(latency_bucket(x)) FROM (SELECT unnest([1, 999, 1000, 1999, 2000, 4999, 5000, 0]) AS x)`).flat()).toEqual([
      1, 500, 1000, 1000, 2000, 2000, 5000, 1,
    ]);
    expect(rows(e, `SELECT count(*) FROM latency_histogram((SELECT list(latency_ns) FROM calls WHERE false))`)).toEqual([[0]]);
  });

  // Regression test: the init row read "handled :ok"; init's message is its argument, the state is the initial one.
  it('says what each state followed from', async () => {
    const e = await loadScenario('cast-burst.zip');
    expect(rows(e, `SELECT callback, message, origin, count(*) FROM states GROUP BY ALL HAVING callback <> 'handle_cast' ORDER BY min(seq)`)).toEqual([
      ['init', ':ok', 'initial', 1],
      ['handle_call', ':quick', 'message', 2],
    ]);
    expect(rows(e, `SELECT origin, count(*) FROM states WHERE callback = 'handle_cast' GROUP BY ALL`)).toEqual([['message', 80]]);
    const g = await loadScenario('gen-statem.zip');
    expect(rows(g, `SELECT seq, origin FROM states WHERE origin <> 'message' ORDER BY seq`)).toEqual([
      [4, 'initial'],
      [29, 'timeout'],
    ]);
  });

  // "other" was not explained: each outcome is counted under its own name.
  it('counts every outcome of a group under its own name', async () => {
    const e = await loadScenario('call-timeout.zip');
    expect(
      rows(e, `SELECT callee, shape, calls, replies, timeouts, callee_exits, caller_exits, pending, max_ns // 1000000 FROM call_groups ORDER BY shape`),
    ).toEqual([
      ['<0.146.0>', ':quick', 1, 1, 0, 0, 0, 0, 0],
      ['<0.146.0>', ':slow', 2, 0, 2, 0, 0, 0, 40],
    ]);
  });
});
