import { describe, expect, test } from 'vitest';
import { isSupervisor } from '../../src/engine/supervisor';
import { processList } from '../../src/engine/views/processes';
import { timelineLanes } from '../../src/engine/views/timeline';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/supervisors.exs as OTP 25 / Elixir 1.14 and OTP 27 / Elixir 1.18 record it: a `use Supervisor` module
// started before the recording, a module of the :supervisor behaviour, Supervisor.start_link/2, a DynamicSupervisor,
// a Task.Supervisor and a PartitionSupervisor, each with a worker that works; and two GenServers whose names say
// Supervisor (Scn.SupervisorClient, and Scn.WatchSupervisor, which spawns a linked watcher of its own).

const SUPERVISORS = ['Scn.AppSupervisor', 'Scn.Dyn', 'Scn.ErlSup', 'Scn.Parts', 'Scn.Plain', 'Scn.Tasks'];

describe.each(['supervisors.zip', 'supervisors-otp27.zip'])('%s: which processes supervise', (archive) => {
  test('tree_at says so of every supervisor behaviour, and of no server named like one', async () => {
    const engine = await loadScenario(archive);
    const end = `(SELECT max(ts) FROM events)`;
    expect(rows(engine, `SELECT name FROM tree_at(${end}) WHERE is_supervisor AND name LIKE 'Scn.%' ORDER BY name`).flat()).toEqual(SUPERVISORS);
    expect(rows(engine, `SELECT name, is_supervisor FROM tree_at(${end}) WHERE name LIKE '%Supervisor%' AND name LIKE 'Scn.%' ORDER BY name`)).toEqual([
      ['Scn.AppSupervisor', true],
      ['Scn.SupervisorClient', false],
      ['Scn.WatchSupervisor', false],
    ]);
  }, 120_000);

  // Regression test: the process tree badged any process whose name held "Supervisor" or whose module held
  // "supervisor" (Scn.SupervisorClient, Scn.WatchSupervisor), and the Timeline grouped lanes under any process whose
  // name ended in Supervisor (Scn.WatchSupervisor's watcher), while tree_at said neither supervises.
  test('the process tree and the Timeline follow the same rule as tree_at', async () => {
    const engine = await loadScenario(archive);
    const sql = async (q: string, max?: number) => engine.query(q, max);
    const truth = new Map(rows(engine, `SELECT node || '|' || pid, is_supervisor FROM tree_at((SELECT max(ts) FROM events))`).map(([k, s]) => [k, s]));
    const procs = await processList(sql);
    const alive = procs.filter((p) => truth.has(`${p.node}|${p.pid}`));
    expect(alive.length).toBe(truth.size);
    // what the process tree reads of each (src/ui/lib/processes.svelte.ts)
    const badged = (p: (typeof procs)[number]) => isSupervisor({ childType: p.child_type, module: p.module, initialCall: p.initial_call });
    expect(alive.filter((p) => badged(p) !== truth.get(`${p.node}|${p.pid}`)).map((p) => p.name ?? p.pid)).toEqual([]);
    expect(alive.filter(badged).length).toBeGreaterThan(SUPERVISORS.length);

    const lanes = await timelineLanes(sql);
    const named = (name: string) => procs.find((p) => p.name === name)!;
    const groupOf = (pid: string) => lanes.find((l) => l.pid === pid)?.group;
    const node = named('Scn.Plain').node;
    for (const [worker, sup] of [
      ['Scn.AppWorker', 'Scn.AppSupervisor'],
      ['Scn.ErlWorker', 'Scn.ErlSup'],
      ['Scn.PlainWorker', 'Scn.Plain'],
      ['Scn.DynWorker', 'Scn.Dyn'],
      ['Scn.SupervisorClient', 'Scn.Plain'],
      ['Scn.WatchSupervisor', 'Scn.Plain'],
    ])
      expect([worker, groupOf(named(worker).pid)]).toEqual([worker, `${node} › ${sup}`]);
    const watcher = procs.find((p) => p.parent_pid === named('Scn.WatchSupervisor').pid)!;
    expect(groupOf(watcher.pid)).toBe(`${node} › Scn.Plain`);
    // The node's own group (the script's processes beside the runtime's) busiest first; a supervisor's in pid order.
    const own = lanes.filter((l) => l.group === node);
    expect(own.length).toBeGreaterThan(2);
    expect(own.map((l) => l.events)).toEqual(own.map((l) => l.events).sort((a, b) => b - a));
    const plain = lanes.filter((l) => l.group === `${node} › Scn.Plain`).map((l) => l.pid);
    expect(plain).toEqual([...plain].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])));
  }, 120_000);
});
