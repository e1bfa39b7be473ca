import { describe, expect, it } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/elixir_workloads.exs, recorded on Elixir 1.18 / OTP 27 (new processes traced): a Task.Supervisor
// started while recorded runs four tasks of one function that crash; a GenServer (Scn.Waiter) whose handle_call waits
// for a helper's {:answer, n} with a receive inside the callback; a GenServer state of standard-library structs with
// Inspect implementations of their own.
describe('Elixir workloads (elixir-workloads-otp27.zip)', () => {
  // Regression test: a Task.Supervisor's tasks, each spawned on a call (async_nolink's start_child), read as a child
  // "restarted 3 times within 5 s" because each replaced a task that had crashed.
  it('a Task.Supervisor starting a task on each call is no restart loop', async () => {
    const e = await loadScenario('elixir-workloads-otp27.zip');
    expect(rows(e, `SELECT kind, count(*)::INTEGER FROM anomalies WHERE kind IN ('crash', 'restart_loop') GROUP BY kind`)).toEqual([['crash', 4]]);
  });

  // Regression test: a message taken by a receive inside a callback (the helper's answer) and the Task.Supervisor's
  // first start_child call (handled before the supervisor's module, loaded while recorded, was traced) were never
  // taken: `receiver_exited` and `queued_at_end`, with `unconsumed` anomalies. A later message taken by a callback
  // proves they had left the mailbox: the main loop takes it in order.
  it('a message a callback did not take, before one it took, left the mailbox as it came', async () => {
    const e = await loadScenario('elixir-workloads-otp27.zip');
    expect(
      rows(
        e,
        `SELECT p.module, m.status, m.consumed_seq IS NULL, m.taken_at = m.received_at, left(m.msg, 12)
         FROM messages m JOIN processes p ON p.node = m.to_node AND p.pid = m.to_pid
         WHERE p.module IN ('DynamicSupervisor', 'Scn.Waiter') AND NOT starts_with(m.msg, '{:EXIT, ') AND NOT starts_with(m.msg, '{:system, ')
         ORDER BY m.recv_seq`,
      ),
    ).toEqual([
      ['DynamicSupervisor', 'received', true, true, '{:"$gen_call'],
      ['DynamicSupervisor', 'received', false, false, '{:"$gen_call'],
      ['DynamicSupervisor', 'received', false, false, '{:"$gen_call'],
      ['DynamicSupervisor', 'received', false, false, '{:"$gen_call'],
      ['Scn.Waiter', 'received', false, false, '{:"$gen_call'],
      ['Scn.Waiter', 'received', true, true, '{:answer, 2}'],
      ['Scn.Waiter', 'received', false, false, '{:"$gen_call'],
      ['Scn.Waiter', 'received', true, true, '{:answer, 4}'],
      ['Scn.Waiter', 'received', false, false, '{:"$gen_call'],
    ]);
    expect(rows(e, `SELECT count(*)::INTEGER FROM anomalies WHERE kind = 'unconsumed'`)).toEqual([[0]]);
    // out of the mailbox as they came: the Waiter's queue never held more than the call being handled
    expect(rows(e, `SELECT max(depth)::INTEGER FROM mailbox_depth WHERE pid = (SELECT pid FROM processes WHERE module = 'Scn.Waiter')`)).toEqual([[1]]);
  });

  // Regression test: Duration (Elixir 1.17+), Date.Range and Version.Requirement rendered as the maps they are. The
  // expected text is what inspect/1 printed for the recorded term on Elixir 1.18 (ArchiveReader in the chroot).
  it('renders Duration, Date.Range and Version.Requirement as inspect does', async () => {
    const e = await loadScenario('elixir-workloads-otp27.zip');
    expect(rows(e, `SELECT DISTINCT state FROM states WHERE pid = (SELECT pid FROM processes WHERE module = 'Scn.Calendar')`)).toEqual([
      [
        '%{zero: %Duration{}, every: %Duration{hour: 1, minute: 30}, precise: %Duration{week: 2, second: 5, microsecond: {0, 6}}, ' +
          'days: Date.range(~D[2026-01-01], ~D[2026-01-05]), odd_days: Date.range(~D[2026-01-05], ~D[2026-01-01], -2), ' +
          'req: Version.parse_requirement!("~> 1.2 or >= 3.0.0")}',
      ],
    ]);
  });
});
