import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, LoadReport } from '../../src/engine/engine';
import { summarize } from '../../src/cli/summary';
import { loadScenarioReport, rows } from './scenarios-load';

// test/scenarios/call_timeout.exs: Scn.Sluggish <0.146.0>; the client <0.147.0> calls {:slow, 120} with a 40 ms
// timeout (request #12, its timeout traced at #15), catches it and sleeps 300 ms before its next step (#21);
// <0.148.0> calls {:slow, 60} with a 20 ms timeout (request #26, timeout #29) and exits at #31.
describe('a timed-out call ends when the caller gave up', () => {
  let e: Engine;
  let report: LoadReport;
  beforeAll(async () => {
    ({ engine: e, report } = await loadScenarioReport('call-timeout.zip'));
  });

  // Regression test: the latency ran to the caller's next traced step (341.6 ms here) instead of its timeout (40.5 ms).
  it('measures the timeout from the request to the caller giving up, not to its next activity', async () => {
    expect(rows(e, `SELECT call_seq, request, outcome, reply_seq FROM calls ORDER BY call_seq`)).toEqual([
      [6, ':quick', 'reply', 10],
      [12, '{:slow, 120}', 'timeout', 19],
      [26, '{:slow, 60}', 'timeout', 34],
    ]);
    expect(
      rows(
        e,
        `SELECT c.call_seq, c.latency_ns = t.ts - c.sent_at, c.latency_ns // 1000000 FROM calls c
         JOIN events t ON t.seq = CASE c.call_seq WHEN 12 THEN 15 WHEN 26 THEN 29 END ORDER BY c.call_seq`,
      ),
    ).toEqual([
      [12, true, 40],
      [26, true, 20],
    ]);
    expect(rows(e, `SELECT summary FROM anomalies WHERE kind = 'call_timeout' ORDER BY seq`)).toEqual([
      ['call to Scn.Sluggish {:slow, 120} timed out after 40.5 ms (the reply came late)'],
      ['call to Scn.Sluggish {:slow, 60} timed out after 20.9 ms (the reply came late)'],
    ]);
    const summary = await summarize(e, report);
    expect(summary).toContain('timed out after 40.5 ms');
    expect(summary).not.toContain('342 ms');
  });

  // Regression test: the late reply was "still queued at the end" / "lost when it exited", but the runtime drops it.
  it('drops a late reply to the alias the caller deactivated: never queued, never lost at an exit', () => {
    expect(rows(e, `SELECT send_seq, to_pid, status FROM messages WHERE send_seq IN (19, 34) ORDER BY send_seq`)).toEqual([
      [19, '<0.147.0>', 'alias_inactive'],
      [34, '<0.148.0>', 'alias_inactive'],
    ]);
    expect(rows(e, `SELECT kind, seq FROM anomalies WHERE kind IN ('orphan_reply', 'unconsumed') ORDER BY seq`)).toEqual([
      ['orphan_reply', 19],
      ['orphan_reply', 34],
    ]);
    expect(rows(e, `SELECT count(*) FROM mailbox_depth WHERE pid IN ('<0.147.0>', '<0.148.0>') AND seq IN (19, 34)`)).toEqual([[0]]);
    expect(rows(e, `SELECT count(*) FROM mailbox_at((SELECT ts FROM events WHERE seq = 20)) WHERE pid = '<0.147.0>'`)).toEqual([[0]]);
  });
});
