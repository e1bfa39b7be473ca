import { describe, expect, test } from 'vitest';
import { loadFixtures as load, readFixture as read, readFixtureFolder as folder } from '../support/raw-fixtures';

// Raw traces with the flags and match specs people use that the other fixtures do not (test/fixtures/raw/raw_vars.erl,
// and raw_ip.erl, as OTP 25 and OTP 27 write them): the scheduler_id flag, ttb's {local, ...} logs of an ip trace port
// that dropped messages, the port's own stream kept in a file, and match specs whose calls and returns do not come in pairs.

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

    // An ip trace port's stream, kept in a file as a client reads it (test/fixtures/raw/raw_ip.erl): its drop frame
    // (the port's queue of 10 was full before a client connected) is a drop between the queued sends and the next.
    test(`${dir}/ip-drop.trace: an ip trace port's drop frame is a drop window between the events around it`, async () => {
      const { engine, report } = await load([read(`${dir}/ip-drop.trace`)]);
      expect(report.warnings).toEqual([]);
      expect(report.sources.map((s) => [s.kind, s.node, s.events])).toEqual([['dbg', 'raw_ip_gen@vm', 17]]);
      const around = `SELECT ts FROM events WHERE kind = 'send' ORDER BY seq LIMIT 1 OFFSET`;
      expect(engine.query(`SELECT node, count, reason, from_ts = (${around} 9), to_ts = (${around} 10) FROM drops`).rows).toEqual([
        ['raw_ip_gen@vm', 191, null, true, true],
      ]);
    });

    // Regression test for calls and returns that do not come in pairs: a return whose call was not traced
    // ({message, false} with {return_trace}) took the level below 0 (the next calls' depths -1, 0, 1, 2 with a parent
    // that had already returned), and calls of a function traced without return_trace never closed their level (each
    // sat one deeper than the one before, the child of a call that had returned long ago).
    test(`${dir}/ms.trace: spans of a return with no call and of calls with no return`, async () => {
      const { engine, report } = await load([read(`${dir}/ms.trace`)]);
      expect(report.warnings).toEqual([]);
      // the return of h/1, whose call the match spec's {message, false} did not send, is no span and no level
      expect(engine.query(`SELECT count(*)::INTEGER FROM events WHERE kind = 'return' AND mfa = ':raw_vars.h/1'`).rows).toEqual([[1]]);
      const spans = engine.query(
        `SELECT s.mfa, s.depth, s.outcome, s.args, s.result, p.mfa AS parent, p.depth AS parent_depth
         FROM spans s LEFT JOIN spans p ON p.call_seq = s.parent_seq ORDER BY s.call_seq`,
      ).rows;
      expect(spans).toEqual([
        [':raw_vars.g/1', 0, 'return', '[2]', '5', null, null],
        [':raw_vars.fact/1', 0, 'return', '[3]', '6', null, null],
        [':raw_vars.fact/1', 1, 'return', '[2]', '2', ':raw_vars.fact/1', 0],
        [':raw_vars.fact/1', 2, 'return', '[1]', '1', ':raw_vars.fact/1', 1],
        [':raw_vars.fact/1', 3, 'return', '[0]', '1', ':raw_vars.fact/1', 2],
        // an exception out of three traced functions, and out of the process
        [':raw_vars.deep/1', 0, 'exception', '~c"\\a"', '{:error, {:bad, 7}}', null, null],
        [':raw_vars.deeper/1', 1, 'exception', '~c"\\a"', '{:error, {:bad, 7}}', ':raw_vars.deep/1', 0],
        [':raw_vars.deepest/1', 2, 'exception', '~c"\\a"', '{:error, {:bad, 7}}', ':raw_vars.deeper/1', 1],
        // traced without return_trace (the silent flag switched off by loud/1's {silent, false}): no return ever, instants
        [':raw_vars.loud/1', 0, 'no_return', '[2]', null, null, null],
        [':raw_vars.quiet/1', 0, 'no_return', '[3]', null, null, null],
      ]);
      // {caller_line}: the caller and the line it called from
      expect(engine.query(`SELECT peer FROM events WHERE kind = 'call' AND mfa = ':raw_vars.g/1'`).rows).toEqual([
        [expect.stringMatching(/^\{:raw_vars, :"-ms\/1-fun-\d+-", 0, \{~c".*raw_vars\.erl", \d+\}\}$/)],
      ]);
    });
  }
});
