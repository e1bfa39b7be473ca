import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/call_forms.exs, recorded by OTP 25 and OTP 27 (new processes traced; a peer node, not traced, runs the
// same server under the same name): GenServer.multi_call to this node with no timeout and with one, to this node and
// the peer, and to a server too slow for its timeout; :gen_server.send_request taken by receive_response,
// check_response, wait_response (timing out once, then waiting again) and a request id collection; a gen_statem's
// send_request, reply action and postponed call; replies deferred by the server and sent by another process; erpc and
// rpc calls to the peer (no gen:call: not calls); a call with :infinity; a call to the peer's server that times out;
// a Task.await that times out (no gen:call either); the servers' stops.
const EXPECTED_CALLS = [
  [':ping', 'reply', ':pong'],
  [':ping', 'reply', ':pong'],
  [':ping', 'reply', ':pong'],
  [':ping', 'reply', ':pong'],
  ['{:sleep, 80}', 'timeout', ':slept'],
  [':ping', 'reply', ':pong'],
  [':ping', 'reply', ':pong'],
  ['{:sleep, 60}', 'reply', ':slept'],
  [':ping', 'reply', ':pong'],
  [':ping', 'reply', ':pong'],
  [':open', 'reply', ':opening'],
  [':knock', 'reply', ':come_in'],
  [':close', 'reply', ':closing'],
  [':later', 'reply', ':answered'],
  [':elsewhere', 'reply', ':from_helper'],
  ['{:sleep, 30}', 'reply', ':slept'],
  ['{:sleep, 100}', 'timeout', null],
  ['{:terminate, :normal}', 'reply', ':ok'],
  ['{:terminate, :normal}', 'reply', ':ok'],
  ['{:terminate, :normal}', 'reply', ':ok'],
];

for (const [name, otp] of [
  ['call-forms.zip', 25],
  ['call-forms-otp27.zip', 27],
] as const) {
  describe(`calls in their other forms (${name})`, () => {
    let e: Engine;
    beforeAll(async () => {
      e = await loadScenario(name);
    });

    it('are calls, each with the outcome and reply it had', () => {
      expect(rows(e, `SELECT request, outcome, reply FROM calls ORDER BY call_seq`)).toEqual(EXPECTED_CALLS);
      // every call that got a reply: its request and reply seen at both ends (the peer's server's send excepted)
      expect(
        rows(
          e,
          `SELECT callee_pid IS NULL, count(*), count(request_recv_seq), count(reply_seq), count(reply_recv_seq), count(latency_ns)
           FROM calls WHERE outcome = 'reply' GROUP BY ALL ORDER BY ALL`,
        ),
      ).toEqual([
        [false, 17, 17, 17, 17, 17],
        [true, 1, 0, 0, 1, 1],
      ]);
    });

    // Regression test: multi_call's requests carry a tag of their own (OTP 25: {ref, node}, one ref for every node;
    // OTP 26+: [[:alias | alias] | monitor], one alias for every node), which was no call tag: of its three calls
    // with a timeout or to two nodes, and the one that timed out, `calls` held none.
    it("pair multi_call's requests with their replies, one call per node", () => {
      const multi = rows(
        e,
        `SELECT c.callee_node = c.caller_node, c.outcome, c.tag
         FROM calls c JOIN events r ON r.seq = c.call_seq WHERE c.call_seq BETWEEN (SELECT min(call_seq) FROM calls) + 1 AND
           (SELECT call_seq FROM calls WHERE request = '{:sleep, 80}') ORDER BY c.call_seq`,
      ) as [boolean, string, string][];
      expect(multi.map(([local, outcome]) => [local, outcome])).toEqual([
        [true, 'reply'],
        [true, 'reply'],
        [false, 'reply'],
        [true, 'timeout'],
      ]);
      const tagShape = otp === 25 ? /^\{#Reference<[0-9.]+>, :scn_forms(_b_[0-9]+)?@[a-z0-9-]+\}$/ : /^#Reference<[0-9.]+>$/;
      for (const [, , tag] of multi) expect(tag).toMatch(tagShape);
      // the two nodes' requests of one multi_call: one call each, under distinct tags
      expect(new Set(multi.map(([, , tag]) => tag)).size).toBe(4);
      // the late reply of the multi_call that timed out: to the middleman that had exited (OTP 25), to the inactive
      // alias (OTP 27); an orphan either way, and the middleman's exit, which carries the replies, is no crash
      expect(rows(e, `SELECT m.status FROM calls c JOIN messages m ON m.send_seq = c.reply_seq WHERE c.request = '{:sleep, 80}'`)).toEqual([
        [otp === 25 ? 'send_to_dead' : 'alias_inactive'],
      ]);
      expect(rows(e, `SELECT kind FROM anomalies WHERE kind IN ('crash', 'orphan_reply') ORDER BY kind`)).toEqual([['orphan_reply']]);
    });

    // Regression test: the reply of a Task whose Task.await had timed out read `receiver_not_traced` (its alias, the
    // Task's monitor, was carried by no call and nothing sent to it arrived); the runtime dropped it at the alias that
    // Task.await deactivated. The alias is the owner's: it hands it to the Task in the Task's first message.
    it("take a Task's reply after Task.await timed out as sent to the owner's inactive alias", () => {
      expect(
        rows(
          e,
          `SELECT m.status, m.to_pid = h.pid, m.to_node = h.node
           FROM messages m JOIN events s ON s.seq = m.send_seq
           JOIN events h ON h.kind = 'send' AND h.peer = s.pid AND starts_with(h.term, '{#PID' || h.pid || ', ' || s.peer || ', ' || s.peer || ', ')
           WHERE m.msg LIKE '{#Reference<%>, :done}'`,
        ),
      ).toEqual([['alias_inactive', true, true]]);
      // it is in no mailbox: no message is left queued at the end
      expect(rows(e, `SELECT count(*)::INTEGER FROM messages WHERE status = 'queued_at_end' AND msg LIKE '%:done}'`)).toEqual([[0]]);
    });

    // Regression test: a call to a server on a node that was not recording read "call to ? {:sleep, 100}".
    it('name the callee a timed-out call went to on a node the trace does not have', () => {
      const peer = rows(e, `SELECT DISTINCT callee_node FROM calls WHERE callee_pid IS NULL`)[0][0] as string;
      expect(rows(e, `SELECT summary FROM anomalies WHERE kind = 'call_timeout' ORDER BY seq`)).toEqual([
        [expect.stringMatching(/^call to :scn_echo \{:sleep, 80\} timed out after [0-9.]+ ms \(the reply came late\)$/)],
        [expect.stringMatching(new RegExp(`^call to \\{:scn_echo, :${peer}\\} \\{:sleep, 100\\} timed out after [0-9.]+ ms$`))],
      ]);
      // and so does call_shapes' callee, which the Calls view groups by (it was NULL)
      expect(rows(e, `SELECT DISTINCT callee FROM call_shapes WHERE callee_pid IS NULL`)).toEqual([[`{:scn_echo, :${peer}}`]]);
    });
  });
}
