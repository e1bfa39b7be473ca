import { describe, expect, test } from 'vitest';
import { loadFixtures as load, readFixture as read, readFixtureFolder as folder } from '../support/raw-fixtures';

// Raw traces with the flags and match specs people use that the other fixtures do not (test/fixtures/raw/raw_vars.erl,
// as OTP 25 and OTP 27 write them): the scheduler_id flag and ttb's {local, ...} logs of an ip trace port that
// dropped messages.

describe('raw trace varieties', () => {
  for (const dir of ['raw', 'otp27/raw']) {
    // Regression test for the scheduler_id flag: it puts the scheduler's number after every trace message's usual
    // elements, and every message was skipped as malformed (16 of 18 lost, the two left with the number as peer).
    test(`${dir}/sched.trace: the scheduler_id flag's messages are all kept, without the number`, async () => {
      const { engine, report } = await load([read(`${dir}/sched.trace`)]);
      expect(report.warnings).toEqual([`kept 18 trace messages: the scheduler's number (the scheduler_id trace flag) left out`]);
      expect(engine.query(`SELECT kind, count(*)::INTEGER FROM events GROUP BY ALL ORDER BY ALL`).rows).toEqual([
        ['call', 6],
        ['exception', 2],
        ['exit', 1],
        ['in', 2],
        ['out', 1],
        ['receive', 2],
        ['return', 2],
        ['send', 2],
      ]);
      // the match spec's {message, {caller}} stays the call's peer; a plain match spec's call has none
      expect(engine.query(`SELECT mfa, peer FROM events WHERE kind = 'call' ORDER BY seq`).rows).toEqual([
        [':raw_vars.f/1', expect.stringMatching(/^\{:raw_vars, :"-sched\/1-fun-\d+-", 1\}$/)],
        [':raw_vars.g/1', '{:raw_vars, :f, 1}'],
        [':raw_vars.f/1', expect.stringMatching(/^\{:raw_vars, :"-sched\/1-fun-\d+-", 1\}$/)],
        [':raw_vars.g/1', '{:raw_vars, :f, 1}'],
        [':raw_vars.h/1', null],
        [':raw_vars.h/1', null],
      ]);
      expect(engine.query(`SELECT mfa, outcome, result FROM spans WHERE mfa LIKE '%.f/1' ORDER BY call_seq`).rows).toEqual([
        [':raw_vars.f/1', 'exception', '{:error, :badarith}'],
        [':raw_vars.f/1', 'return', '11'],
      ]);
      // the ping to the echo process and its answer, the done message to the untraced test process
      expect(engine.query(`SELECT msg, status FROM messages ORDER BY coalesce(send_seq, recv_seq)`).rows).toEqual([
        [':go', 'sender_not_traced'],
        [expect.stringMatching(/^\{:ping, #PID<0\.\d+\.0>\}$/), 'receiver_not_traced'],
        [':pong', 'sender_not_traced'],
        [expect.stringMatching(/^\{:done, #PID<0\.\d+\.0>\}$/), 'receiver_not_traced'],
      ]);
    });

    // Regression test for an ip trace port's drops in ttb's {local, ...} logs: dbg's trace client hands ttb's handler
    // `{drop, N}` for a drop frame, the handler writes it into the log like a trace message, and it was skipped as
    // "not a trace message": the drop was lost. Here the port dropped from the start: before any event to take its
    // time and node from.
    test(`${dir}/ttb-drop: the {drop, N} a ttb local log holds is a drop, at the time and node of the next event`, async () => {
      const { engine, report } = await load(folder(`${dir}/ttb-drop`));
      expect(report.warnings).toEqual([]);
      const drops = engine.query(`SELECT node, from_ts = (SELECT min(ts) FROM events WHERE kind <> 'drop'), to_ts = from_ts, count > 100 FROM drops`).rows;
      expect(drops).toEqual([['raw_vars_gen@vm', true, true, true]]);
      expect(engine.query(`SELECT kind, node, pid FROM events ORDER BY seq`).rows).toEqual([
        ['drop', 'raw_vars_gen@vm', null],
        ['send', 'raw_vars_gen@vm', expect.stringMatching(/^#Port<0\.\d+>$/)],
      ]);
    });
  }
});
