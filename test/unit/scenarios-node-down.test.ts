import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/node_down.exs, recorded on OTP 25: node a and its peer b (a's name + _b_N) both record; a client
// on a calls Scn.Holder on b (answered); a watcher on a monitors Scn.Holder by pid and by {name, node}, monitors the
// node and links to another process of b while trapping exits; a second client calls Scn.Holder with :hang, never
// answered. Then b stops recording and halts. Re-recording changes pids and seqs: these answers use neither.
describe('two recorded nodes, one going down', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await loadScenario('node-down-a.zip', 'node-down-b.zip');
  });

  // Regression test: the :DOWN and :EXIT that b's lost connection gave a's watcher had no from_node (no signal line
  // from b's processes): a sender was looked for among processes that exited (a :DOWN's), or of the receiver's
  // node (an :EXIT's), and b's processes lived on to the end of b's recording. A :noconnection signal comes from
  // another node than the receiver's, alive there or not.
  it("a :noconnection signal's sender is the process of that pid on another recorded node", () => {
    expect(
      rows(
        e,
        `SELECT regexp_extract(m.msg, '^\\{(:[A-Za-z]+)', 1) AS kind, m.from_node = p.node, p.module, m.from_node <> m.to_node
         FROM messages m LEFT JOIN processes p ON p.pid = m.from_pid AND p.node <> m.to_node
         WHERE m.status = 'signal' AND m.from_pid IS NOT NULL ORDER BY kind`,
      ),
    ).toEqual([
      [':DOWN', true, 'Scn.Holder', true],
      [':EXIT', true, null, true],
    ]);
    // and the Timeline draws them as lines from there
    expect(rows(e, `SELECT count(*) FROM signal_lines WHERE from_node <> to_node`)).toEqual([[2]]);
  });

  it('calls and messages across the two nodes pair; the rest of what the watcher got is signals', () => {
    expect(
      rows(
        e,
        `SELECT c.request, c.outcome, c.reply, c.callee_node <> c.caller_node, c.request_recv_seq IS NOT NULL
         FROM calls c WHERE c.request IN (':ping', ':hang') ORDER BY c.call_seq`,
      ),
    ).toEqual([
      [':ping', 'reply', ':pong', true, true],
      // the caller gave up at its monitor's :DOWN with :noconnection (no callee_exit: the callee may live on)
      [':hang', 'timeout', null, true, true],
    ]);
    // Regression test: its call_timeout anomaly said it "timed out after 152 ms" (its timeout was 10 s)
    expect(
      rows(e, `SELECT kind, regexp_replace(summary, 'after [0-9.]+ ms', 'after N ms'), evidence_count FROM anomalies WHERE kind = 'call_timeout'`),
    ).toEqual([['call_timeout', "call to Scn.Holder :hang gave up after N ms: the connection to the callee's node was lost", 3]]);
    expect(
      rows(
        e,
        `SELECT regexp_extract(msg, '^\\{(:[A-Za-z]+)', 1) AS kind, ends_with(msg, ':noconnection}'), count(*)
         FROM messages WHERE status = 'signal' GROUP BY ALL ORDER BY ALL`,
      ),
    ).toEqual([
      [':DOWN', true, 3],
      [':EXIT', true, 1],
      [':nodedown', false, 1],
    ]);
  });
});
