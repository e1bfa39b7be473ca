import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { timelineAreaRows, timelineLanes, timelineTile } from '../../src/engine/views/timeline';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/span_drops.exs: Scn.Fanout's handle_call(:fan) sends 600 messages while the recorder's max_rate is
// 400 events/s, so the recorder drops every event from the rate window's 400th to the window's end, the callback's
// return among them; 1.5 s later a traced handle_call(:ping) returns. Regression test for the span of the first
// callback: it read `unfinished`, drawn in the Timeline as running to the trace's end, 1.5 s past the drop.
const sqlOf = (e: Engine) => async (q: string, n?: number) => e.query(q, n ?? 1_000_000);
const FAN = `(SELECT call_seq FROM spans WHERE mfa = 'Scn.Fanout.handle_call/3' AND args LIKE '[:fan,%')`;

describe('a callback whose return the recorder dropped', () => {
  let e: Engine;
  let t0 = 0n;
  let len = 0;
  beforeAll(async () => {
    e = await loadScenario('span-drops.zip');
    const [[a, b]] = rows(e, 'SELECT min(ts), max(ts) FROM events');
    t0 = BigInt(a as bigint);
    len = Number(BigInt(b as bigint) - t0);
  }, 120_000);

  it('the recording holds one drop window, begun while the callback ran, and a traced return 1.5 s after it', () => {
    expect(rows(e, `SELECT count(*), min(reason) FROM drops`)).toEqual([[1, 'rate']]);
    expect(rows(e, `SELECT count(*) FROM spans s, drops d WHERE s.call_seq = ${FAN} AND s.started_at < d.from_ts AND s.end_seq IS NULL`)).toEqual([[1]]);
    expect(rows(e, `SELECT count(*) FROM events e, drops d WHERE e.kind = 'return' AND e.ts > d.to_ts + 1000000000`)).toEqual([[1]]);
  });

  it('is in_drop, ended where the drop window began (a lower bound), no return, result or self time', () => {
    expect(
      rows(
        e,
        `SELECT s.outcome, s.end_seq, s.result, s.self_ns, s.ended_at = d.from_ts, s.duration_ns = d.from_ts - s.started_at, s.duration_ns > 0
         FROM spans s, drops d WHERE s.call_seq = ${FAN}`,
      ),
    ).toEqual([['in_drop', null, null, null, true, true, true]]);
    expect(rows(e, `SELECT outcome, count(*) FROM spans GROUP BY ALL ORDER BY ALL`)).toEqual([
      ['in_drop', 1],
      ['return', 2],
    ]);
  });

  // Regression test: the callback's level was never closed (nothing showed its return), so the handle_call(:ping) that
  // returned 1.5 s after the drop sat at depth 1 as its child, and so would every later call of the process.
  it('closes its level at the drop: the later callback starts at depth 0, no parent, all its time its own', () => {
    expect(rows(e, `SELECT depth, parent_seq, self_ns = duration_ns FROM spans WHERE mfa = 'Scn.Fanout.handle_call/3' AND args LIKE '[:ping,%'`)).toEqual([
      [0, null, true],
    ]);
    expect(rows(e, `SELECT max(depth) FROM spans`)).toEqual([[0]]);
  });

  it('raises no anomaly: slow_callback reads only spans that returned or raised', () => {
    expect(rows(e, `SELECT kind, summary FROM anomalies`)).toEqual([]);
  });

  it('the Timeline ends it at the drop with a dotted end (open 3), not at the trace end; the area rows say so', async () => {
    const lanes = await timelineLanes(sqlOf(e));
    const tile = await timelineTile(sqlOf(e), t0, len, lanes, { from: 0, to: lanes.length }, 0, len + 1, 1);
    const [[seq, from]] = rows(e, `SELECT ${FAN}, (SELECT from_ts FROM drops)`);
    const k = Array.from(tile.spans.seq).indexOf(Number(seq));
    expect(k).toBeGreaterThanOrEqual(0);
    expect([tile.spans.open[k], tile.spans.end[k]]).toEqual([3, Number(BigInt(from as bigint) - t0)]);
    expect(tile.spans.end[k]).toBeLessThan(len - 1e9);
    const area = await timelineAreaRows(sqlOf(e), t0, len, lanes, 0, len);
    const slice = area.slices.find((s) => s.seq === Number(seq))!;
    expect([slice.open, slice.untraced, slice.inDrop, slice.duration]).toEqual([false, false, true, tile.spans.end[k] - tile.spans.start[k]]);
  });
});
