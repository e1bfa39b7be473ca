import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { flameChart } from '../../src/engine/views/flame';
import { timelineAreaRows, timelineLanes, timelineTile } from '../../src/engine/views/timeline';
import { loadFixtures as load, readFixture as read } from '../support/raw-fixtures';
import { loadScenario } from './scenarios-load';

// test/fixtures/raw/raw_noreturn.erl: one worker's calls traced as a whole node's often are, dbg:tp(queue, []) and
// dbg:tp(orddict, []) with no match spec (calls only, never a return), beside raw_noreturn:batch/1 traced with
// return_trace (a mixed trace): four queue calls, batch/1 twice (each calling queue and orddict), a queue call last.
// Regression test: every call of queue and orddict was `unfinished`, its span running to the trace's end (drawn in the
// Timeline and the flame chart as a bar to the end), though nothing of those functions could ever return in the trace.
const sqlOf = (e: Engine) => async (q: string, n?: number) => e.query(q, n ?? 1_000_000);
const rows = (e: Engine, q: string) => e.query(q, 10_000).rows;

for (const dir of ['raw', 'otp27/raw']) {
  describe(`calls traced without return_trace (${dir}/noreturn.trace)`, () => {
    it('are no_return instants: no end, duration or self time; batch/1 returns, and keeps its depth and children', async () => {
      const { engine: e } = await load([read(`${dir}/noreturn.trace`)]);
      expect(
        rows(
          e,
          `SELECT s.mfa, s.depth, s.outcome, s.end_seq IS NULL, s.ended_at IS NULL, s.duration_ns IS NULL, s.self_ns IS NULL, p.mfa
           FROM spans s LEFT JOIN spans p ON p.call_seq = s.parent_seq ORDER BY s.call_seq`,
        ),
      ).toEqual([
        [':queue.new/0', 0, 'no_return', true, true, true, true, null],
        [':queue.in/2', 0, 'no_return', true, true, true, true, null],
        [':queue.in/2', 0, 'no_return', true, true, true, true, null],
        [':queue.new/0', 0, 'no_return', true, true, true, true, null],
        ...[1, 2].flatMap(() => [
          [':raw_noreturn.batch/1', 0, 'return', false, false, false, false, null],
          [':queue.in/2', 1, 'no_return', true, true, true, true, ':raw_noreturn.batch/1'],
          [':queue.len/1', 1, 'no_return', true, true, true, true, ':raw_noreturn.batch/1'],
          [':orddict.new/0', 1, 'no_return', true, true, true, true, ':raw_noreturn.batch/1'],
          [':orddict.store/3', 1, 'no_return', true, true, true, true, ':raw_noreturn.batch/1'],
        ]),
        [':queue.len/1', 0, 'no_return', true, true, true, true, null],
      ]);
      // batch/1 ran from its call to its return, all of it its own time (its children's durations are unknown)
      expect(rows(e, `SELECT count(*) FROM spans WHERE outcome = 'return' AND duration_ns > 0 AND self_ns = duration_ns`)).toEqual([[2]]);
      expect(rows(e, `SELECT count(*) FROM anomalies WHERE kind = 'slow_callback'`)).toEqual([[0]]);
    });

    it('are ticks in the Timeline, not bars to the end; the area rows and the flame chart give them no duration', async () => {
      const { engine: e } = await load([read(`${dir}/noreturn.trace`)]);
      const [[a, b]] = rows(e, 'SELECT min(ts), max(ts) FROM events');
      const t0 = BigInt(a as bigint);
      const len = Number(BigInt(b as bigint) - t0);
      const lanes = await timelineLanes(sqlOf(e));
      // 1 ns a pixel: every call its own pixel
      const tile = await timelineTile(sqlOf(e), t0, len, lanes, { from: 0, to: lanes.length }, 0, len + 1, 1);
      const drawn = Array.from({ length: tile.spans.count }, (_, k) => [tile.spans.mfa[k], tile.spans.open[k], tile.spans.end[k] === tile.spans.start[k]]);
      expect(drawn.filter(([, open]) => open === 4)).toHaveLength(13);
      expect(drawn.filter(([, open]) => open !== 4)).toEqual([
        [':raw_noreturn.batch/1', 0, false],
        [':raw_noreturn.batch/1', 0, false],
      ]);
      expect(drawn.every(([, open, instant]) => (open === 4) === instant)).toBe(true);
      const area = await timelineAreaRows(sqlOf(e), t0, len, lanes, 0, len);
      const last = area.slices.find((s) => s.mfa === ':queue.len/1' && s.depth === 0)!;
      expect([last.noReturn, last.open, last.duration]).toEqual([true, false, 0]);
      const { node, pid } = lanes[0];
      const flame = await flameChart(sqlOf(e), { node, pid });
      expect(flame.slices.filter((s) => s.outcome === 'no_return').map((s) => s.duration_ns)).toEqual(Array(13).fill(0n));
    });
  });
}

// The recorder traces every function with return_trace: a call there with no return was still running, even when its
// function returns nowhere else in the recording (test/scenarios' Scn.Waiter waits in a cast until the end; Scn.Big's
// one handle_call/3 lost its return among the events the recorder dropped).
describe('calls with no return in otpscope archives', () => {
  it('stay unfinished or in_drop, never no_return', async () => {
    const waiter = await loadScenario('receive-edges-otp27.zip');
    expect(rows(waiter, `SELECT outcome, count(*) FROM spans WHERE mfa = 'Scn.Waiter.handle_cast/2' GROUP BY ALL`)).toEqual([['unfinished', 1]]);
    const big = await loadScenario('otp-idioms.zip');
    expect(rows(big, `SELECT outcome, count(*) FROM spans WHERE mfa = 'Scn.Big.handle_call/3' GROUP BY ALL`)).toEqual([['in_drop', 1]]);
    expect(rows(big, `SELECT count(*) FROM spans WHERE outcome = 'no_return'`)).toEqual([[0]]);
  }, 120_000);
});
