import { describe, expect, it } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/receive_edges.exs, recorded by OTP 25 and OTP 27 (new processes traced): Scn.Asker's callbacks wait
// for a helper's {:answer, n} with a receive inside the callback (the first server's last callback takes
// {:answer, 2}, and no callback comes after it); the second server's last callback stops after a receive that also
// brought :late, which nothing took; Scn.Waiter's callback still waits at the end, :other arrived meanwhile. Then
// sends to aliases no longer active: a second message to an alias([:reply]), one after unalias/1, one after the
// alias's owner exited. Re-recording changes seqs: update these answers.
for (const name of ['receive-edges.zip', 'receive-edges-otp27.zip']) {
  describe(`messages taken outside the main loop, and sends to inactive aliases (${name})`, () => {
    // Regression test: a message the *last* callback took with its own receive read `queued_at_end`, with an
    // `unconsumed` anomaly: schema 14 counted it taken only before a later callback's message. The callback returned
    // to the main loop (no stop) while the node went on recording: had the message still been queued, the loop would
    // have handed it to a traced callback at once.
    it('a message received before a callback returned to the main loop left the mailbox as it came', async () => {
      const e = await loadScenario(name);
      expect(
        rows(
          e,
          `SELECT p.module, m.msg, m.status, m.consumed_seq IS NULL, m.taken_at = m.received_at
           FROM messages m JOIN processes p ON p.node = m.to_node AND p.pid = m.to_pid
           WHERE p.module IN ('Scn.Asker', 'Scn.Waiter') AND NOT starts_with(m.msg, '{:"$gen_call"') ORDER BY m.recv_seq`,
        ),
      ).toEqual([
        ['Scn.Asker', '{:answer, 1}', 'received', true, true],
        ['Scn.Asker', '{:answer, 2}', 'received', true, true],
        ['Scn.Asker', '{:answer, 3}', 'received', true, true],
        // a callback that stopped: what it received and did not take was lost at the exit (which one it took, the
        // trace cannot tell)
        ['Scn.Asker', ':late', 'receiver_exited', true, null],
        ['Scn.Asker', '{:answer, :stop}', 'receiver_exited', true, null],
        ['Scn.Waiter', '{:"$gen_cast", :wait}', 'received', false, false],
        // a callback still running at the end may still be waiting for another message
        ['Scn.Waiter', ':other', 'queued_at_end', true, null],
      ]);
      expect(
        rows(e, `SELECT p.module FROM anomalies a JOIN processes p ON p.node = a.node AND p.pid = a.pid WHERE a.kind = 'unconsumed' ORDER BY p.module`),
      ).toEqual([['Scn.Asker'], ['Scn.Waiter']]);
    });

    // Regression test: a second message to an alias([:reply]) (the first deactivated it) and one after unalias/1 read
    // `receiver_exited` once their owner had exited; one sent after the owner exited still does. The runtime dropped
    // each: a dead process's aliases are all inactive.
    it('a message to an alias no longer active is alias_inactive, in no mailbox', async () => {
      const e = await loadScenario(name);
      expect(
        rows(
          e,
          `SELECT m.msg, m.status, m.to_pid = (SELECT r.pid FROM events r WHERE r.kind = 'receive' AND r.term = replace(m.msg, '2}', '1}'))
           FROM messages m WHERE m.msg IN ('{:once, 1}', '{:once, 2}', '{:via, 1}', '{:via, 2}', '{:x, 1}', '{:x, 2}') ORDER BY m.send_seq`,
        ),
      ).toEqual([
        ['{:once, 1}', 'received', true],
        ['{:once, 2}', 'alias_inactive', true],
        ['{:via, 1}', 'received', true],
        ['{:via, 2}', 'alias_inactive', true],
        ['{:x, 1}', 'received', true],
        ['{:x, 2}', 'alias_inactive', true],
      ]);
      expect(rows(e, `SELECT count(*)::INTEGER FROM mailbox_depth d JOIN messages m ON m.send_seq = d.seq WHERE m.msg LIKE '{:x, %'`)).toEqual([[1]]);
    });
  });
}
