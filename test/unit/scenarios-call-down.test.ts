import { describe, expect, it } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/call_down.exs, recorded on OTP 25 and OTP 27 (new processes traced): four callers, each a Task
// catching the call's exit, call (1) a server stopped before the call (:noproc), (2) a server started before the
// recording, so not traced, that crashes on the request, (3) another such server through
// :gen_server.send_request/receive_response, (4) a traced server that crashes on the request, after one answered call,
// (5) the rpc server of a peer node, stopped while the call waits (starting the peer makes calls of its own).
// gen:call learns of the callee's end from its monitor: the caller receives {:DOWN, ref, :process, callee, reason}
// with the reference the call's tag carries.
describe('calls whose callee is gone', () => {
  for (const file of ['call-down.zip', 'call-down-otp27.zip'])
    // Regression test: the first three read as timeouts (the caller went on, and no exit of the callee was in the
    // trace after the request), and a call_timeout anomaly said so.
    it(`end with the callee, when the caller's :DOWN says so (${file})`, async () => {
      const e = await loadScenario(file);
      const down = (c: string) =>
        `(SELECT m.received_at FROM messages m WHERE m.to_pid = ${c}.caller_pid AND m.status = 'signal' AND m.msg LIKE '{:DOWN, ' || ${c}.tag || ', :process, %')`;
      expect(
        rows(
          e,
          `SELECT c.request, c.outcome, c.reply IS NULL,
                  -- until the callee's exit when the trace has it after the request, else until the caller's :DOWN
                  c.outcome <> 'callee_exit' OR c.latency_ns = coalesce((SELECT p.exited_at FROM processes p WHERE p.pid = c.callee_pid AND p.exited_at >= c.sent_at), ${down('c')}) - c.sent_at,
                  ${down('c')} IS NOT NULL AS got_down,
                  (SELECT status FROM messages WHERE coalesce(send_seq, recv_seq) = c.call_seq)
           FROM calls c WHERE c.request IN (':ping', ':crash') ORDER BY c.call_seq`,
        ),
      ).toEqual([
        [':ping', 'callee_exit', true, true, true, 'send_to_dead'],
        [':crash', 'callee_exit', true, true, true, 'receiver_not_traced'],
        [':crash', 'callee_exit', true, true, true, 'receiver_not_traced'],
        [':ping', 'reply', false, true, false, 'sender_not_traced'],
        [':crash', 'callee_exit', true, true, true, 'received'],
      ]);
      // the untraced callees have no exit in the trace: only the :DOWN tells
      expect(
        rows(
          e,
          `SELECT count(*)::INTEGER FROM calls c JOIN processes p ON p.pid = c.callee_pid WHERE p.exited_at IS NOT NULL AND c.request IN (':ping', ':crash')`,
        ),
      ).toEqual([[3]]);
      // a lost connection is no exit of the callee: the caller caught it and went on
      expect(rows(e, `SELECT c.outcome, ${down('c')} IS NOT NULL FROM calls c WHERE c.request LIKE '{:call, :timer, :sleep, %'`)).toEqual([['timeout', true]]);
      expect(rows(e, `SELECT kind, regexp_extract(summary, ': ([a-z ]+)$', 1) FROM anomalies WHERE kind LIKE 'call%' ORDER BY seq`)).toEqual([
        ['call_unanswered', 'the callee had already exited'],
        ['call_unanswered', 'the callee exited'],
        ['call_unanswered', 'the callee exited'],
        ['call_unanswered', 'the callee exited'],
        ['call_timeout', ''],
      ]);
      // that caller gave up at its monitor's :DOWN with :noconnection, which the anomaly says (and holds)
      expect(
        rows(
          e,
          `SELECT regexp_extract(a.summary, ' (gave up|timed out) after [^:]+(: .*)?$', 1), regexp_extract(a.summary, ' after [^:]+(: .*)?$', 1),
                  string_agg(m.status, ',' ORDER BY m.status)
           FROM anomalies a JOIN anomaly_events x USING (anomaly_id) JOIN messages m ON coalesce(m.recv_seq, m.send_seq) = x.seq
           WHERE a.kind = 'call_timeout' GROUP BY ALL`,
        ),
      ).toEqual([['gave up', ": the connection to the callee's node was lost", 'receiver_not_traced,signal']]);
    });
});
