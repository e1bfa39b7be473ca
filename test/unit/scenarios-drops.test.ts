import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { callGroups } from '../../src/engine/views/calls';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/recorder_drops.exs: the recorder (max_rate 400) drops every event past the rate window's 400th
// while a client calls Scn.Tally 100 times and a flooder sends 300 messages to a sink: one :rate window of 809
// events. The flooder's sends came first; the sink's receives and the client's calls after its first fell in
// the window. Regression test for the false anomalies those drops raised: call_timeout and orphan_reply for the
// first call (its reply was sent, its receive dropped, then the client slept and went on) and unconsumed for the
// sink's messages (received, but the receives dropped).
describe('a recording whose recorder dropped events under a flood', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await loadScenario('recorder-drops.zip');
  }, 120_000);

  it('drops: the archive drop record as one window, its ends converted as event timestamps are', () => {
    expect(rows(e, `SELECT node, src, count, reason, to_ts - from_ts FROM drops`)).toEqual([['nonode@nohost', 0, 809, 'rate', 818448]]);
    // the drop event is the window's start; traced events stop inside the window and resume after it
    expect(rows(e, `SELECT count(*) FROM drops d JOIN events e ON e.kind = 'drop' AND e.ts = d.from_ts`)).toEqual([[1]]);
    expect(rows(e, `SELECT count(*) FROM events e, drops d WHERE e.kind <> 'drop' AND e.ts > d.from_ts AND e.ts < d.to_ts`)).toEqual([[0]]);
    expect(rows(e, `SELECT value FROM meta WHERE key = 'totals.events_dropped'`)).toEqual([['809']]);
  });

  it('the call whose reply receive was dropped is in_drop, not timed out; its reply not orphaned', () => {
    expect(
      rows(
        e,
        `SELECT c.outcome, c.reply_seq IS NOT NULL, c.reply_recv_seq IS NULL, c.latency_ns, m.status
         FROM calls c JOIN messages m ON m.send_seq = c.reply_seq`,
      ),
    ).toEqual([['in_drop', true, true, null, 'in_drop']]);
  });

  // Regression test for the Calls view's latency table: its "no reply" column added the exits and pending calls only,
  // and read 0 beside a "No reply (1)" list holding the in_drop call.
  it('the Calls view counts the in_drop call among the calls with no reply', async () => {
    const groups = await callGroups((sql) => e.query(sql));
    expect(groups.map((g) => [g.n, g.timeouts, g.no_reply, g.in_drop])).toEqual([[1, 0, 1, 1]]);
  });

  it("the sink's messages whose receives were dropped are in_drop, in no mailbox", () => {
    expect(rows(e, `SELECT status, count(*) FROM messages WHERE starts_with(msg, '{:item, ') GROUP BY ALL ORDER BY ALL`)).toEqual([
      ['in_drop', 214],
      ['received', 86],
    ]);
    expect(rows(e, `SELECT count(*) FROM mailbox_at((SELECT max(ts) FROM events)) WHERE starts_with(msg, '{:item, ')`)).toEqual([[0]]);
  });

  it('raises no anomaly for what the recorder dropped', () => {
    expect(rows(e, `SELECT kind, summary FROM anomalies`)).toEqual([]);
  });
});
