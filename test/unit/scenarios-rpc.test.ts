import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { markdownReport } from '../../src/engine/views/report';
import { isAbnormalExit } from '../../src/ui/views/process-tree/build-tree';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/rpc_results.exs: another node calls into the recorded one: :erpc.call of :erlang.node/0 (exit #2),
// :rpc.call of Enum.sum/1 (#5) and an :rpc.call whose function raises (1 / 0, #8). Each call ran in a process erpc
// spawned on the recorded node, which hands the result back as its exit reason: {ref, :return, result}, or
// {ref, :error, reason, stack}.
describe('remote calls into a recorded node', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await loadScenario('rpc-results.zip');
  });

  // Regression test: every erpc/rpc call from another node was an error "crash" of the process that ran it.
  it('a remote call that returned is no crash; one whose function raised is', async () => {
    const exits = rows(e, `SELECT seq, term FROM events WHERE kind = 'exit' ORDER BY seq`) as [number, string][];
    expect(exits.map(([seq, term]) => [seq, term.replace(/#Reference<[0-9.]+>/, 'REF').slice(0, 24)])).toEqual([
      [2, '{REF, :return, :scn_rpc_'],
      [5, '{REF, :return, 6}'],
      [8, '{REF, :error, :badarith,'],
    ]);
    expect(rows(e, `SELECT seq FROM anomalies WHERE kind = 'crash'`)).toEqual([[8]]);
    expect(exits.map(([, term]) => isAbnormalExit(term))).toEqual([false, false, true]);
    const md = await markdownReport((s, m) => e.query(s, m), { archive: 'rpc-results.zip', link: '#a=x' });
    expect(md).toContain('### Crashes (1)');
  });
});
