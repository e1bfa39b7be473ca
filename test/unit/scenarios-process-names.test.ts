import { describe, expect, test } from 'vitest';
import { searchTrace } from '../../src/engine/views/search';
import { sequenceProcesses } from '../../src/engine/views/sequence';
import { timelineLanes } from '../../src/engine/views/timeline';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/process_names.exs as OTP 25 / Elixir 1.14 and OTP 27 / Elixir 1.18 record it: processes named by
// :global, by a Registry key (`{:via, Registry, ...}` at their start, or put in the Registry by themselves), by a
// registered name and a :global one at once, by a duplicate Registry key only (no name), by a proc_lib label (OTP 27),
// before the recording and while it ran; one of them exits before the recording stops.

const BOTH: [string, string, boolean, boolean][] = [
  // name, initial call, spawned while recorded, exited while recorded
  ['{:global, :scn_global}', 'Scn.Named.init/1', false, false],
  ['{:via, Registry, {Scn.NameReg, {:conn, 1}}}', 'Scn.Named.init/1', false, false],
  ['{:via, Registry, {Scn.NameReg, "plain"}}', ':erlang.apply/2', false, false],
  [':scn_local', ':erlang.apply/2', false, false],
  // a :global name taken while recorded, by a process alive since before (in the facts at stop only)
  ['{:global, :scn_late}', ':erlang.apply/2', false, false],
  // started as {:via, Registry, {Scn.NameReg, {:conn, 2}, :meta}} and stopped while recorded: from its start
  ['{:via, Registry, {Scn.NameReg, {:conn, 2}}}', 'Scn.Named.init/1', true, true],
  ['{:global, :scn_global_2}', 'Scn.Named.init/1', true, false],
];

const LABELS: [string, string, boolean, boolean][] = [
  ['label: {:worker, 1}', ':erlang.apply/2', false, false],
  ['label: {:worker, 2}', ':erlang.apply/2', true, false],
];

describe.each([
  ['process-names.zip', BOTH],
  ['process-names-otp27.zip', [...BOTH, ...LABELS]],
])('%s: processes known by :global names, Registry keys and labels', (archive, expected) => {
  // Regression test: processes.name was NULL for all but :scn_local, so the Timeline, the Sequence diagram, search
  // and the summary showed them only by pid and module.
  test('processes.name holds the name users know each by, a registered name first', async () => {
    const engine = await loadScenario(archive);
    const got = rows(
      engine,
      `SELECT name, initial_call, spawned_at IS NOT NULL, exited_at IS NOT NULL FROM processes
       WHERE name LIKE '{%' OR name LIKE 'label: %' OR name LIKE ':scn%' ORDER BY name`,
    );
    expect(got).toEqual([...expected].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    // the duplicate Registry key names nobody; the registered name beat the :global name of the same process
    expect(rows(engine, `SELECT count(*) FROM processes WHERE name LIKE '{%Scn.Topics%' OR name LIKE '%scn_also_global%'`)).toEqual([[0]]);
    // sends resolve through registered names only: no registration interval for the others
    expect(rows(engine, `SELECT DISTINCT name FROM registrations WHERE name LIKE '%scn%' ORDER BY name`)).toEqual([[':scn_local']]);
  }, 120_000);

  test('the Timeline lanes, the Sequence diagram and search name them so', async () => {
    const engine = await loadScenario(archive);
    const sql = async (q: string, max?: number) => engine.query(q, max);
    // (the processes named before the recording have no events of their own: `processes: :new`)
    const lanes = (await timelineLanes(sql)).map((l) => l.name);
    const seq = (await sequenceProcesses(sql)).map((p) => p.name);
    for (const [name, , spawned] of expected)
      if (spawned) {
        expect(lanes).toContain(name);
        expect(seq).toContain(name);
      }
    const found = await searchTrace(sql, 'scn_global');
    expect(found.matches.filter((m) => m.kind === 'process').map((m) => [m.field, m.text])).toEqual([
      ['name', '{:global, :scn_global}'],
      ['name', '{:global, :scn_global_2}'],
    ]);
  }, 120_000);
});
