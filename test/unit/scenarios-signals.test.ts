import { describe, expect, it } from 'vitest';
import { eventDetail } from '../../src/engine/views/processes';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/signals.exs (new processes traced, a peer node started and stopped, single time warp mode), recorded
// on OTP 25 and on OTP 27: a supervisor trapping exits gets its crashed child's {:EXIT, pid, reason}; a probe trapping
// exits gets exits and monitors' :DOWN (a process, a registered name, a Task, a process on the peer), a start_timer's
// {:timeout, ref, :tick}, the node monitors' :nodeup/:nodedown, spawn requests' {:spawn_reply, ...} (one local, one
// to a node that does not exist, Node.spawn's to the peer), ETS tables handed over ({:"ETS-TRANSFER", ...}: given
// away, inherited), the system monitor's {:monitor, pid, :large_heap, info} and a time offset monitor's {:CHANGE,
// ...}. The runtime makes each of these from a signal: the trace has a receive and no send. And a port's own messages
// to the probe, its owner ({port, {:data, "hi"}}, {port, {:exit_status, 3}}), which the port sends.
const SHAPE = `regexp_extract(msg, '^\\{:"?([A-Za-z_-]+)', 1)`;
const KINDS = `'^\\{:(EXIT|DOWN|nodeup|nodedown|timeout|spawn_reply|"ETS-TRANSFER"|monitor|CHANGE), '`;
const PROBE = `(SELECT pid FROM processes WHERE initial_call = ':erlang.apply/2' AND parent_pid = (SELECT min(pid) FROM events WHERE seq = 0))`;

describe('messages the runtime makes from signals', () => {
  for (const [file, node] of [
    ['signals.zip', 'scn_signals@vm'],
    ['signals-otp27.zip', 'scn_signals27@vm'],
  ])
    // Regression test: they read as sent by an untraced process (sender_not_traced, no sender), even an exit of a
    // traced process to its traced supervisor.
    it(`are signals, sent by the process they name (${file})`, async () => {
      const e = await loadScenario(file);
      const probe = PROBE;
      // per kind: how many, how many name their sender, and on which node
      expect(
        rows(
          e,
          `SELECT ${SHAPE} AS kind, count(*)::INTEGER, count(from_pid)::INTEGER, count(from_node)::INTEGER, string_agg(DISTINCT from_node, ',')
           FROM messages WHERE status = 'signal' AND NOT starts_with(msg, '{:monitor, ') GROUP BY ALL ORDER BY kind`,
        ),
      ).toEqual([
        ['CHANGE', 1, 0, 0, null],
        ['DOWN', 9, 8, 6, node],
        ['ETS-TRANSFER', 2, 2, 2, node],
        ['EXIT', 8, 8, 8, node],
        ['nodedown', 3, 0, 0, null],
        ['nodeup', 1, 0, 0, null],
        ['spawn_reply', 3, 2, 1, node],
        ['timeout', 1, 0, 0, null],
      ]);
      // none of them is left to an untraced sender; no other receive is taken for one
      expect(rows(e, `SELECT count(*)::INTEGER FROM messages WHERE send_seq IS NULL AND status <> 'signal' AND regexp_matches(msg, ${KINDS})`)).toEqual([[0]]);
      expect(rows(e, `SELECT count(*)::INTEGER FROM messages WHERE status = 'signal' AND (send_seq IS NOT NULL OR NOT regexp_matches(msg, ${KINDS}))`)).toEqual(
        [[0]],
      );
      // the supervisor's: from the child that crashed, whose exit came first
      expect(
        rows(
          e,
          `SELECT m.from_pid = x.pid, m.from_node = x.node, x.seq < m.recv_seq
           FROM messages m JOIN events x ON x.kind = 'exit' AND x.pid = m.from_pid AND x.term LIKE '{%RuntimeError%'
           WHERE m.status = 'signal' AND m.to_pid IN (SELECT parent_pid FROM processes WHERE name = 'Scn.Flaky') AND m.msg LIKE '{:EXIT, %RuntimeError%'`,
        ),
      ).toEqual([[true, true, true]]);
      // every exit or :DOWN with a node names a process of that node that exited by then, or (an :EXIT) the port
      expect(
        rows(
          e,
          `SELECT count(*)::INTEGER, count(*) FILTER (WHERE p.exited_at <= m.received_at OR starts_with(m.from_pid, '#Port<'))::INTEGER
           FROM messages m LEFT JOIN processes p ON p.node = m.from_node AND p.pid = m.from_pid
           WHERE m.status = 'signal' AND m.from_node IS NOT NULL AND regexp_matches(m.msg, '^\\{:(EXIT|DOWN), ')`,
        ),
      ).toEqual([[14, 14]]);
      // the peer's process the probe monitored: no node (the peer was not recorded), though this node has a process
      // of that pid on OTP 27
      expect(
        rows(
          e,
          `SELECT from_pid, from_node FROM messages WHERE status = 'signal' AND to_pid = ${probe} AND msg LIKE '{:DOWN, %' AND from_pid IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.pid = from_pid AND p.exited_at IS NOT NULL)`,
        ).map(([pid, n]) => [/^<0\.\d+\.0>$/.test(String(pid)), n]),
      ).toEqual([[true, null]]);
      // in mailboxes as before: the probe took each as it came, nothing is left queued, no anomaly is about them
      // (the system monitor's reports are as many as the runtime made: none left queued either)
      expect(
        rows(
          e,
          `SELECT count(*) FILTER (WHERE NOT starts_with(msg, '{:monitor, '))::INTEGER, count(*) = count(taken_at)
           FROM messages WHERE status = 'signal' AND to_pid = ${probe}`,
        ),
      ).toEqual([[21, true]]);
      expect(
        rows(
          e,
          `SELECT count(*) = (SELECT count(*) FROM messages WHERE status = 'signal')
           FROM mailbox_depth d JOIN messages m ON m.recv_seq = d.seq AND m.send_seq IS NULL WHERE m.status = 'signal' AND d.delta = 1`,
        ),
      ).toEqual([[true]]);
      expect(rows(e, `SELECT count(*)::INTEGER FROM mailbox_at((SELECT max(ts) FROM events))`)).toEqual([[0]]);
      expect(rows(e, `SELECT count(*)::INTEGER FROM anomalies WHERE kind IN ('unconsumed', 'mailbox_growth')`)).toEqual([[0]]);
    }, 120_000);

  for (const [file, node] of [
    ['signals.zip', 'scn_signals@vm'],
    ['signals-otp27.zip', 'scn_signals27@vm'],
  ])
    // Regression test: spawn replies, ETS tables handed over, the system monitor's reports and a time offset monitor's
    // change read as sent by an untraced process (sender_not_traced, no sender).
    it(`spawn replies, ETS transfers, system and time offset monitors are signals; a port's messages are its own (${file})`, async () => {
      const e = await loadScenario(file);
      const signal = (like: string) =>
        rows(e, `SELECT from_pid, from_node, to_pid = ${PROBE} FROM messages WHERE status = 'signal' AND msg LIKE '${like}' ORDER BY recv_seq`);
      const spawned = `(SELECT pid FROM processes WHERE parent_pid = ${PROBE} AND initial_call = ':erts_internal.spawn_init/1')`;
      const [[local]] = rows(e, `SELECT ${spawned}`);
      // the local request's process (it exits after the reply), the failed one's none, Node.spawn's on the peer (not recorded)
      expect(signal('{:spawn_reply, %')).toEqual([
        [local, node, true],
        [null, null, true],
        [expect.stringMatching(/^<0\.\d+\.0>$/), null, true],
      ]);
      expect(
        rows(
          e,
          `SELECT exited_at > (SELECT received_at FROM messages WHERE msg LIKE '{:spawn_reply, %:ok, #PID<' || substr(pid, 2) || '}') FROM processes WHERE pid = ${spawned}`,
        ),
      ).toEqual([[true]]);
      // given away by the probe (to the taker), inherited from the owner that exited (by the probe, its heir)
      const [[taker, owner]] = rows(
        e,
        `SELECT (SELECT to_pid FROM messages WHERE msg LIKE '{:"ETS-TRANSFER", %:gift}'), (SELECT to_pid FROM messages WHERE send_seq IS NOT NULL AND msg = ':die')`,
      );
      expect(signal('{:"ETS-TRANSFER", %')).toEqual([
        [rows(e, `SELECT ${PROBE}`)[0][0], node, false],
        [owner, node, true],
      ]);
      expect(taker).not.toBe(owner);
      // the process whose heap grew large (it sent {:big, n}), however many reports the runtime made
      const [[big]] = rows(e, `SELECT from_pid FROM messages WHERE msg LIKE '{:big, %'`);
      const reports = signal('{:monitor, %, :large_heap, %');
      expect(reports.length).toBeGreaterThan(0);
      expect(reports.filter(([pid, n, toProbe]) => pid !== big || n !== node || toProbe !== true)).toEqual([]);
      expect(signal('{:CHANGE, %, :time_offset, :clock_service, %')).toEqual([[null, null, true]]);
      // a port's data and exit status: sent by the port, which was not traced
      expect(
        rows(
          e,
          `SELECT regexp_extract(msg, '^\\{#Port<[0-9.]+>, \\{:([a-z_]+)', 1), status, from_pid FROM messages
           WHERE to_pid = ${PROBE} AND regexp_matches(msg, '^\\{#Port<[0-9.]+>, \\{:(data|exit_status), ') ORDER BY recv_seq`,
        ),
      ).toEqual([
        ['data', 'sender_not_traced', null],
        ['exit_status', 'sender_not_traced', null],
      ]);
    }, 120_000);

  it("the event detail of a signal's receive names the process it came from (signals.zip)", async () => {
    const e = await loadScenario('signals.zip');
    const [[seq, pid, node]] = rows(
      e,
      `SELECT recv_seq, from_pid, from_node FROM messages WHERE status = 'signal' AND msg LIKE '{:EXIT, %RuntimeError%' ORDER BY recv_seq LIMIT 1`,
    );
    const d = await eventDetail((q, n) => e.query(q, n), Number(seq));
    expect(d).toMatchObject({ kind: 'receive', from_send: null, recv_status: 'signal', from_pid: pid, from_node: node });
    expect(String(pid)).toMatch(/^<0\.\d+\.0>$/);
  }, 120_000);

  // Regression test: a gen_statem's state timeout ({:timeout, ref, :state_timeout}, which gen_statem takes and hands
  // its callback as a :state_timeout event, not as the message) stayed in the mailbox to the end of the trace.
  it('a signal no callback took leaves the mailbox as it came (gen-statem.zip)', async () => {
    const e = await loadScenario('gen-statem.zip');
    expect(
      rows(
        e,
        `SELECT status, consumed_seq, taken_at = received_at FROM messages WHERE send_seq IS NULL AND msg LIKE '{:timeout, #Reference<%>, :state_timeout}'`,
      ),
    ).toEqual([['signal', null, true]]);
    expect(rows(e, `SELECT count(*)::INTEGER FROM mailbox_at((SELECT max(ts) FROM events))`)).toEqual([[0]]);
    expect(rows(e, `SELECT count(*)::INTEGER FROM mailbox_depth WHERE depth < 0`)).toEqual([[0]]);
  }, 120_000);
});
