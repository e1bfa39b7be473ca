import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { markdownReport } from '../../src/engine/views/report';
import { isAbnormalExit } from '../../src/ui/views/process-tree/build-tree';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/remote_edges.exs: node scn_edges records while its pinger sends {:ping, n} to :scn_sink on
// scn_edges_b every 2 ms; scn_edges_b records (every process) a shorter window inside, pings 170 to 182. Meanwhile
// scn_edges calls into scn_edges_b: :erpc.call of :erlang.node/0 (exit #345), :rpc.call of Enum.sum/1 (#350) and an
// :rpc.call whose function raises (1 / 0, #353), each run in a process erpc spawned on scn_edges_b, which hands the
// result back as its exit reason: {ref, :return, result}, or {ref, :error, reason, stack}.
describe('two nodes whose recordings cover different times, and remote calls', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await loadScenario('remote-edges-a.zip', 'remote-edges-b.zip');
  });

  // Regression test: pings sent before the receiver's node started recording, or after it stopped, were "still queued
  // at the end" of a process that took every ping it was recorded receiving, a false unconsumed warning.
  it('a message sent to another node outside its recording is not known to be queued', () => {
    const ping = `regexp_extract(msg, '\\d+')::INTEGER`;
    expect(rows(e, `SELECT status, count(*), min(${ping}), max(${ping}) FROM messages WHERE msg LIKE '{:ping, %' GROUP BY ALL ORDER BY 3`)).toEqual([
      ['receiver_not_traced', 169 + 37, 1, 219],
      ['received', 13, 170, 182],
    ]);
    expect(rows(e, `SELECT count(*) FROM anomalies WHERE kind = 'unconsumed'`)).toEqual([[0]]);
  });

  // Regression test: every erpc/rpc call from another node was an error "crash" of the process that ran it.
  it('a remote call that returned is no crash; one whose function raised is', async () => {
    const exits = rows(e, `SELECT seq, term FROM events WHERE kind = 'exit' AND term LIKE '{#Reference<%' ORDER BY seq`) as [number, string][];
    expect(exits.map(([seq, term]) => [seq, term.replace(/#Reference<[0-9.]+>/, 'REF').slice(0, 24)])).toEqual([
      [345, '{REF, :return, :scn_edge'],
      [350, '{REF, :return, 6}'],
      [353, '{REF, :error, :badarith,'],
    ]);
    expect(rows(e, `SELECT seq FROM anomalies WHERE kind = 'crash'`)).toEqual([[353]]);
    expect(exits.map(([, term]) => isAbnormalExit(term))).toEqual([false, false, true]);
    const md = await markdownReport((s, m) => e.query(s, m), { archive: 'remote-edges', link: '#a=x' });
    expect(md).toContain('### Crashes (1)');
  });

  // Regression test: the processes erpc spawned were all ":erts_internal.dist_spawn_init/1", where a process spawned
  // from another node starts, and the crash's anomaly named it ":erts_internal"; the spawn's term says what it runs.
  it('a process spawned from another node has the MFA it runs as its initial call', () => {
    expect(
      rows(
        e,
        `SELECT DISTINCT p.initial_call FROM events x JOIN processes p ON p.node = x.node AND p.pid = x.pid WHERE x.kind = 'exit' AND x.term LIKE '{#Reference<%'`,
      ),
    ).toEqual([[':erpc.execute_call/4']]);
    expect(rows(e, `SELECT count(*) FROM processes WHERE initial_call LIKE '%dist_spawn_init%' OR module = ':erts_internal'`)).toEqual([[0]]);
    expect(rows(e, `SELECT summary LIKE ':erpc.execute_call/4 exited: %' FROM anomalies WHERE kind = 'crash'`)).toEqual([[true]]);
  });
});
