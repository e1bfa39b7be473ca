import { describe, expect, it } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/app_stops.exs and app_faults.exs, recorded by OTP 25 and OTP 27: an application's tree stopped the
// ways a real one stops, and two faults of a running one, each outcome checked by the script while it ran.
// Re-recording changes pids and seqs: these answers use neither.
const CRASHES = `SELECT p.module, a.severity, a.summary, a.evidence_count FROM anomalies a JOIN processes p USING (node, pid)
                 WHERE a.kind = 'crash' ORDER BY a.seq`;

for (const name of ['app-stops.zip', 'app-stops-otp27.zip'])
  describe(`an application's processes killed as they are stopped (${name})`, () => {
    const loaded = loadScenario(name);

    // Regression test: every `:killed` exit was a crash at error level, so a healthy application's clean stop (a
    // `:brutal_kill` child, a child past its `shutdown` time) and tasks killed by their owner at a timeout read as
    // errors beside the real ones.
    it('a kill by the process stopping it is no error; a stray kill is', async () => {
      const e = await loaded;
      const crashes = rows(e, CRASHES).map(([module, severity, summary, n]) => [module, severity, String(summary).replace(/; last .*/, ''), n]);
      expect(crashes).toEqual([
        // async_stream's on_timeout: :kill_task (the stream's process unlinks, kills and waits for its :DOWN)
        ['Task.Supervised', 'info', 'Task.Supervised exited: :killed, killed by :erlang.apply/2 stopping it', 4],
        // Task.shutdown(task, :brutal_kill) by its owner (the script's task)
        [crashes[1][0], 'info', `${crashes[1][0]} exited: :killed, killed by ${crashes[1][0]} stopping it`, 4],
        // Process.exit(victim, :kill) from another process: its supervisor restarted it
        ['Scn.Victim', 'error', 'Scn.Victim exited: :killed', 2],
        // the tree stops: shutdown: :brutal_kill, then a child whose terminate outlived its shutdown: 100
        ['Scn.Brutal', 'info', 'Scn.Brutal exited: :killed, killed by Supervisor.Default stopping it', 4],
        ['Scn.Stubborn', 'warning', 'Scn.Stubborn exited: :killed, killed by Supervisor.Default stopping it (it had not exited within its shutdown time)', 5],
      ]);
      // the evidence holds the stopper's unlink and the :DOWN it received
      expect(
        rows(
          e,
          `SELECT v.kind, v.term FROM anomalies a JOIN anomaly_events x USING (anomaly_id) JOIN events v ON v.seq = x.seq
           JOIN processes p ON p.node = a.node AND p.pid = a.pid WHERE p.module = 'Scn.Brutal' AND a.kind = 'crash' ORDER BY v.seq`,
        ).map(([kind, term]) => [
          kind,
          term === null
            ? null
            : String(term)
                .replace(/#Reference<[0-9.]+>/, 'ref')
                .replace(/#PID<[0-9.]+>/, 'pid'),
        ]),
      ).toEqual([
        ['return', '{:ok, :idle}'],
        ['exit', ':killed'],
        ['receive', '{:DOWN, ref, :process, pid, :killed}'],
        ['unlink', null],
      ]);
      expect(rows(e, `SELECT count(*) FROM anomalies WHERE severity = 'error'`)).toEqual([[1]]);
    });
  });

for (const name of ['app-faults.zip', 'app-faults-otp27.zip'])
  describe(`faults of a running application (${name})`, () => {
    const loaded = loadScenario(name);

    // Regression test: the first restart of a child started before the recording had no spawn before it to compare
    // with, so a crash loop to max_restarts (3 restarts) counted 2 and raised no restart_loop.
    it('a crash loop of a child started before the recording is a restart_loop', async () => {
      const e = await loaded;
      expect(rows(e, `SELECT count(*) FROM processes WHERE module = 'Scn.Fragile' AND exit_reason LIKE '{%RuntimeError{message: "fragile boom"}%'`)).toEqual([
        [4],
      ]);
      expect(rows(e, `SELECT severity, summary, evidence_count FROM anomalies WHERE kind = 'restart_loop'`)).toEqual([
        ['error', 'child Scn.Fragile restarted 3 times within 5 s by Supervisor.Default', 3],
      ]);
    });

    // Regression test: a call whose caller gave up (its gen:call timed out) read `callee_exit` ("never returned: the
    // callee exited") when the callee exited after that: in a deadlock, each server's call to the other.
    it("a call given up before its callee exited is a timeout, not the callee's exit", async () => {
      const e = await loaded;
      const peerCalls = rows(
        e,
        `SELECT a.name, b.name, c.outcome, c.latency_ns >= 100e6 FROM calls c JOIN processes a ON a.node = c.caller_node AND a.pid = c.caller_pid
         JOIN processes b ON b.node = c.callee_node AND b.pid = c.callee_pid WHERE a.name LIKE 'Scn.Peer%' ORDER BY c.call_seq`,
      );
      // PeerA gave up at its 100 ms timeout and exited with it; PeerB exited after that. (PeerB's own call reads
      // callee_exit: PeerA's :DOWN reached it in the same microsecond as its timeout, before it.)
      expect(peerCalls[0]).toEqual(['Scn.PeerA', 'Scn.PeerB', 'timeout', true]);
      expect(
        rows(e, `SELECT count(*) FROM processes WHERE name = 'Scn.PeerA' AND starts_with(exit_reason, '{:timeout, {GenServer, :call, [Scn.PeerB, ')`),
      ).toEqual([[1]]);
      expect(
        rows(
          e,
          `SELECT p.name, a.summary LIKE 'call to Scn.PeerB {:ping, Scn.PeerA} timed out after 1__ ms' FROM anomalies a JOIN processes p USING (node, pid) WHERE a.kind = 'call_timeout'`,
        ),
      ).toEqual([['Scn.PeerA', true]]);
    });
  });
