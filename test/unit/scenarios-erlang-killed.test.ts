import { describe, expect, it } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/erlang/scn_erl_killed.erl, compiled by erlc and recorded from `erl` on OTP 25 (test/scenarios/erlang.sh),
// new processes traced: a gen_server written in Erlang (a record as its state) answers {slow, 80} to two callers that
// exit(Pid, kill) kills 20 ms into the call: one that had received nothing before (nothing shows its receives are
// traced), one that had received `go`. Both replies are sent after the callers' exits, to their (dead) aliases. Then a
// trap_exit chain: a worker takes `hello`, times out in `receive ... after` and exits {custom, boom}; the process
// linked to it, trapping exits, exits {wrapped, Reason} on its 'EXIT'.
describe('callers killed while they wait in a call (Erlang, OTP 25)', () => {
  // Regression test: the first read `reply` (a reply to a caller whose receives were not seen counted as answered),
  // the second `timeout`, with a call_timeout and an orphan_reply anomaly, and the late replies were in no status
  // that says the runtime dropped them.
  it('end with the caller, and their replies go to inactive aliases', async () => {
    const e = await loadScenario('erlang-killed.zip');
    expect(
      rows(
        e,
        `SELECT c.request, c.reply, c.outcome, c.latency_ns = p.exited_at - c.sent_at, p.exit_reason, c.replied_at IS NULL,
                (SELECT m.status FROM messages m WHERE m.send_seq = c.reply_seq)
         FROM calls c JOIN processes p ON p.pid = c.caller_pid WHERE c.request <> ':quick' ORDER BY c.call_seq`,
      ),
    ).toEqual([
      ['{:slow, 80}', ':late', 'caller_exit', true, ':killed', true, 'alias_inactive'],
      ['{:slow, 80}', ':late', 'caller_exit', true, ':killed', true, 'alias_inactive'],
    ]);
    // the call from the process that started the recording (not traced: processes new) is seen in the server's receive
    expect(rows(e, `SELECT request, outcome FROM calls WHERE request = ':quick'`)).toEqual([[':quick', 'reply']]);
    expect(rows(e, `SELECT kind, summary FROM anomalies WHERE kind IN ('call_unanswered', 'call_timeout', 'orphan_reply', 'unconsumed') ORDER BY seq`)).toEqual(
      [
        ['call_unanswered', 'call to :scn_erl_srv {:slow, 80} never returned: the caller exited'],
        ['call_unanswered', 'call to :scn_erl_srv {:slow, 80} never returned: the caller exited'],
      ],
    );
    // Regression test: a crash's "last message" was the :timeout a `receive ... after` timing out leaves in the trace
    // (status after_timeout, no message), not the last message the process took.
    expect(rows(e, `SELECT summary, evidence_count FROM anomalies WHERE kind = 'crash' AND summary LIKE '%boom%' ORDER BY seq`)).toEqual([
      [':erlang.apply/2 exited: {:custom, :boom}; last message: :hello', 2],
      [':erlang.apply/2 exited: {:wrapped, {:custom, :boom}}; last message: {:EXIT, #PID<0.96.0>, {:custom, :boom}}', 2],
    ]);
    // the record renders as the tuple it is
    expect(rows(e, `SELECT callback, origin, state FROM states ORDER BY seq`)).toEqual([
      ['init', 'initial', '{:st, 0, :erl_srv}'],
      ['handle_call', 'message', '{:st, 1, :erl_srv}'],
      ['handle_call', 'message', '{:st, 2, :slow}'],
      ['handle_call', 'message', '{:st, 3, :slow}'],
    ]);
  });
});
