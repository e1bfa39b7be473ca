import { describe, expect, it } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/multi_call_missing.exs, recorded by OTP 25 and OTP 27 (new processes traced; a peer node, not traced,
// where no process has the server's name): GenServer.multi_call to this node and the peer, with no timeout and with
// one. Re-recording changes seqs: update these answers.
for (const name of ['multi-call-missing.zip', 'multi-call-missing-otp27.zip']) {
  describe(`multi_call to a node where the server is not registered (${name})`, () => {
    // Regression test: the peer's part of each multi_call read `timeout` (no timeout was given) or `caller_exit`
    // (OTP 25's middleman exits with the replies); nothing answered, and the caller's monitor of {name, node} said
    // :noproc: as `{:DOWN, ref, :process, {name, node}, :noproc}` with a ref of its own (OTP 25), or tagged with the
    // call's alias, `{alias, mref, :process, {name, node}, :noproc}` (OTP 26+).
    it('are callee_exit calls ending at the monitor message that said the server was not there', async () => {
      const e = await loadScenario(name);
      expect(
        rows(
          e,
          `SELECT c.callee_node = c.caller_node AS local, c.request, c.outcome, c.reply_seq IS NULL,
                  c.sent_at + c.latency_ns = (
                    SELECT min(m.received_at) FROM messages m
                    WHERE m.to_pid = c.caller_pid AND m.received_at >= c.sent_at AND m.msg LIKE '%, :process, {:scn_named, :%}, :noproc}')
           FROM calls c ORDER BY c.call_seq`,
        ),
      ).toEqual([
        [true, ':ping', 'reply', false, false],
        [false, ':ping', 'callee_exit', true, true],
        [true, ':ping', 'reply', false, false],
        [false, ':ping', 'callee_exit', true, true],
        [true, '{:terminate, :normal}', 'reply', false, null],
      ]);
      expect(rows(e, `SELECT count(*)::INTEGER FROM anomalies WHERE kind = 'call_timeout'`)).toEqual([[0]]);
    });

    // Regression test: OTP 26+'s monitor message tagged with the call's alias read `sender_not_traced`, as if an
    // untraced process had sent it; the runtime made it, as it makes OTP 25's `{:DOWN, ...}`: both are `signal`, taken
    // as they came, naming no process (a monitor by name).
    it('the monitor messages saying the server was not there are signals', async () => {
      const e = await loadScenario(name);
      expect(
        rows(
          e,
          `SELECT status, from_pid IS NULL, taken_at = received_at FROM messages
           WHERE msg LIKE '%, :process, {:scn_named, :%}, :noproc}' ORDER BY recv_seq`,
        ),
      ).toEqual([
        ['signal', true, true],
        ['signal', true, true],
      ]);
    });
  });
}
