import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/gen_event_calls.exs, recorded by OTP 25 and OTP 27: gen:call/4 labels a request with who takes it,
// and gen_event's label is the caller's pid (`{caller, {caller, tag}, request}`), :sys's `:system`. A task calls a
// gen_event manager (add_handler, sync_notify, call, send_request, which_handlers, swap_handler, delete_handler), one
// call timing out and one crashing its handler; a second manager is killed under a call; a third blocks in a handler:
// its caller is killed, a second caller waits to the end. Then :sys calls to a GenServer, a gen_statem and the manager,
// one timing out while the GenServer sleeps.
const EXPECTED_CALLS = [
  ['{:add_handler, Scn.Counter, 0}', 'reply'],
  ['{:sync_notify, :ping}', 'reply'],
  ['{:call, Scn.Counter, :count}', 'reply'],
  ['{:call, Scn.Counter, :count}', 'reply'],
  [':which_handlers', 'reply'],
  ['{:call, Scn.Counter, {:slow, 80}}', 'timeout'],
  ['{:call, Scn.Counter, :crash}', 'reply'],
  [':which_handlers', 'reply'],
  ['{:add_handler, Scn.Counter, 10}', 'reply'],
  ['{:swap_handler, Scn.Counter, :swap, Scn.Counter, :swapped}', 'reply'],
  ['{:delete_handler, Scn.Counter, :bye}', 'reply'],
  ['{:add_handler, Scn.Counter, 0}', 'reply'],
  ['{:call, Scn.Counter, {:wait, :never}}', 'callee_exit'],
  ['{:add_handler, Scn.Counter, 0}', 'reply'],
  ['{:call, Scn.Counter, {:wait, :never}}', 'caller_exit'],
  ['{:call, Scn.Counter, :count}', 'pending'],
  [':get_state', 'reply'],
  ['{:replace_state, #Function}', 'reply'],
  [':suspend', 'reply'],
  [':resume', 'reply'],
  [':get', 'reply'],
  [':get_state', 'reply'],
  [':get_state', 'reply'],
  [':get_state', 'timeout'],
];

for (const name of ['gen-event-calls.zip', 'gen-event-calls-otp27.zip']) {
  describe(`gen_event's and :sys's calls (${name})`, () => {
    let e: Engine;
    beforeAll(async () => {
      e = await loadScenario(name);
    });

    // Regression test: only `{:"$gen_call", from, request}` was a call, so of these 24 calls `calls` held the one :get.
    it('are calls, each with the outcome it had', () => {
      expect(rows(e, `SELECT regexp_replace(request, '#Function<[^>]*>', '#Function'), outcome FROM calls ORDER BY call_seq`)).toEqual(EXPECTED_CALLS);
      // every request and its reply, seen at both ends (the pending call's request was received, no reply was sent)
      expect(
        rows(
          e,
          `SELECT outcome, count(*), count(request_recv_seq), count(reply_seq), count(reply_recv_seq), count(latency_ns)
           FROM calls GROUP BY ALL ORDER BY ALL`,
        ),
      ).toEqual([
        ['callee_exit', 1, 1, 0, 0, 1],
        ['caller_exit', 1, 1, 0, 0, 1],
        ['pending', 1, 1, 0, 0, 0],
        ['reply', 19, 19, 19, 19, 19],
        ['timeout', 2, 2, 2, 0, 2],
      ]);
    });

    it('end when the callee or the caller exited, and a timeout when the caller gave up', () => {
      // callee_exit at the manager's kill, caller_exit at the caller's (it was killed while waiting: it never gave up)
      expect(
        rows(
          e,
          `SELECT c.outcome, c.latency_ns = x.exited_at - c.sent_at, x.exit_reason FROM calls c
           JOIN processes x ON x.node = c.callee_node AND x.pid = CASE c.outcome WHEN 'callee_exit' THEN c.callee_pid ELSE c.caller_pid END
           WHERE c.outcome IN ('callee_exit', 'caller_exit') ORDER BY c.call_seq`,
        ),
      ).toEqual([
        ['callee_exit', true, ':killed'],
        ['caller_exit', true, ':killed'],
      ]);
      // a timeout ends at the caller's `receive ... after` (20 ms), and its late reply goes to the inactive alias
      expect(
        rows(
          e,
          `SELECT c.latency_ns // 1000000, m.status, m.to_pid = c.caller_pid FROM calls c JOIN messages m ON m.send_seq = c.reply_seq
           WHERE c.outcome = 'timeout' ORDER BY c.call_seq`,
        ),
      ).toEqual([
        [20, 'alias_inactive', true],
        [20, 'alias_inactive', true],
      ]);
      expect(
        rows(e, `SELECT kind, count(*) FROM anomalies WHERE kind IN ('call_timeout', 'orphan_reply', 'call_unanswered') GROUP BY ALL ORDER BY ALL`),
      ).toEqual([
        ['call_timeout', 2],
        ['call_unanswered', 3],
        ['orphan_reply', 2],
      ]);
    });

    it('group by callee and request in the Calls view', () => {
      expect(rows(e, `SELECT shape, sum(calls)::INTEGER, sum(replies)::INTEGER FROM call_groups GROUP BY shape ORDER BY shape`)).toEqual([
        [':add_handler', 4, 4],
        [':call', 7, 3],
        [':delete_handler', 1, 1],
        [':get', 1, 1],
        [':get_state', 4, 3],
        [':replace_state', 1, 1],
        [':resume', 1, 1],
        [':suspend', 1, 1],
        [':swap_handler', 1, 1],
        [':sync_notify', 1, 1],
        [':which_handlers', 2, 2],
      ]);
    });
  });
}
