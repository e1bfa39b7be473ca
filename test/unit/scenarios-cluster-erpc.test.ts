import { describe, expect, it } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/cluster_erpc/record.sh, OTP 27 / Elixir 1.18: the otpscope_record escript attached with --cluster to
// node a, which every 100 ms makes erpc calls to node b (one raising there) and a GenServer.call to {BServer, b}. Each
// node records for its own 2 s: b started ~0.4 s after a and stopped as much later, so the last calls' replies went
// to a after a's recording had ended.
const FILES = ['cluster-erpc-otp27-a.zip', 'cluster-erpc-otp27-b.zip'];

describe('a cluster recorded by otpscope_record --cluster (cluster-erpc-otp27-*.zip)', () => {
  // Regression test: the three calls whose replies b sent after a's recording ended read `timeout` (with call_timeout
  // errors) and their replies `alias_inactive`, as if the caller had given up.
  it("a reply sent after the caller's node stopped recording answers the call", async () => {
    const e = await loadScenario(...FILES);
    const last = `(SELECT max(ts) FROM events WHERE node = 'a@vm' AND kind <> 'state')`;
    expect(
      rows(
        e,
        `SELECT c.outcome, (SELECT m.status FROM messages m WHERE m.send_seq = c.reply_seq), count(*)::INTEGER
         FROM calls c WHERE c.reply_seq IS NOT NULL AND (SELECT ts FROM events WHERE seq = c.reply_seq) > ${last}
         GROUP BY ALL`,
      ),
    ).toEqual([['reply', 'receiver_not_traced', 3]]);
    expect(rows(e, `SELECT DISTINCT outcome FROM calls`)).toEqual([['reply']]);
    expect(rows(e, `SELECT count(*)::INTEGER FROM anomalies WHERE kind IN ('call_timeout', 'orphan_reply')`)).toEqual([[0]]);
  });

  // Regression test: OTP 27 erpc's monitor of the process running each call, tagged with the request's reference in
  // place of :DOWN (`{ref, mref, :process, pid, {ref, :return, result}}`), read `sender_not_traced`; the runtime made it
  // when that process exited on b (4 ran before b recorded anything of them: no node known).
  it("erpc's tagged monitor messages are signals from the call's process", async () => {
    const e = await loadScenario(...FILES);
    expect(
      rows(
        e,
        `SELECT m.status, m.from_node, count(*)::INTEGER, count(p.exited_at <= m.received_at OR NULL)::INTEGER
         FROM messages m LEFT JOIN processes p ON p.node = m.from_node AND p.pid = m.from_pid
         WHERE regexp_matches(m.msg, '^\\{#Reference<[0-9.]+>, #Reference<[0-9.]+>, :process, #PID<') GROUP BY ALL ORDER BY ALL`,
      ),
    ).toEqual([
      ['signal', 'b@vm', 15, 15],
      ['signal', null, 4, 0],
    ]);
  });

  // Regression test: erpc's process for each call, spawned on b by a's process, read as one child "restarted 17 times"
  // (each replaced one that had exited with the remote call's exception).
  it('erpc spawning a process per remote call is no restart loop', async () => {
    const e = await loadScenario(...FILES);
    expect(rows(e, `SELECT count(*)::INTEGER FROM anomalies WHERE kind = 'restart_loop'`)).toEqual([[0]]);
    // the remote calls that raised are still the crashes they are
    expect(rows(e, `SELECT count(*) > 0 FROM anomalies WHERE kind = 'crash' AND summary LIKE '%:error, :boom%'`)).toEqual([[true]]);
  });
});
