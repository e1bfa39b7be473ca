import { describe, expect, it } from 'vitest';
import { EXAMPLE_EXPECTATIONS, parseExpectations, runExpectations } from '../../src/engine/analyses/expectations';
import { Comparison } from '../../src/engine/compare/comparison';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { Engine } from '../../src/engine/engine';
import { compareTables } from '../../src/engine/views/compare';
import { processList, stoppedProcesses } from '../../src/engine/views/processes';
import { markdownReport } from '../../src/engine/views/report';
import { isAbnormalExit } from '../../src/ui/views/process-tree/build-tree';
import { loadScenario, scenarioBytes } from './scenarios-load';

// test/scenarios/app_stops.exs (OTP 25 and 27): an application's tree stopped the ways a real one stops. Of its five
// `:killed` exits, four are kills by the process stopping them (two tasks killed by their owner, a `:brutal_kill`
// child and a child past its `shutdown` time: the `crash` anomaly's info and warning rows) and one a stray
// `Process.exit(pid, :kill)` of Scn.Victim (its one error-level crash). What the rest of the product calls a crash.
for (const name of ['app-stops.zip', 'app-stops-otp27.zip'])
  describe(`a kill by the process stopping it is no crash outside the anomalies either (${name})`, () => {
    const loaded = loadScenario(name);

    // Regression test: the report listed every abnormal exit, the four stopped processes as crashes beside Victim's.
    it("the report's crashes are the error-level ones, the others said not counted", async () => {
      const e = await loaded;
      const md = await markdownReport((sql, max) => e.query(sql, max), { archive: name, link: '#a=x' });
      const section = md.slice(md.indexOf('### Crashes'));
      expect(section).toMatch(
        /^### Crashes \(1\)\n\nNot counted: 4 processes killed by the process stopping them \(an info or warning `crash` anomaly\)\.\n\n#### `<[0-9.]+>` `Scn\.Victim` on /,
      );
      expect(section.match(/^#### /gm)).toHaveLength(1);
    });

    // Regression test: the process tree drew every `:killed` exit with the red ✕ of a crash.
    it("the process tree draws the stopped processes' exits as stops, the stray kill as a crash", async () => {
      const e = await loaded;
      const sql = (q: string, max?: number) => e.query(q, max);
      const stopped = new Set((await stoppedProcesses(sql)).map((p) => `${p.node}|${p.pid}`));
      const killed = (await processList(sql)).filter((p) => p.exit_reason === ':killed');
      const label = (p: (typeof killed)[number]) => p.name ?? p.module;
      expect(killed.filter((p) => isAbnormalExit(p.exit_reason, stopped.has(`${p.node}|${p.pid}`))).map(label)).toEqual(['Scn.Victim']);
      expect(killed.filter((p) => stopped.has(`${p.node}|${p.pid}`)).length).toBe(4);
    });
  });

// Regression test: compare_processes counted every abnormal exit as a crash, so two clean stops of one application
// compared as four crashed roles on each side.
describe('compare: a kill by the process stopping it is no crash (app-stops.zip with app-stops-otp27.zip)', () => {
  it('counts only the stray kill in crashed_a/_b', async () => {
    const db = await openNodeDuckDb();
    const engine = await Engine.create(db);
    expect((await engine.load([{ name: 'app-stops.zip', bytes: scenarioBytes('app-stops.zip') }])).errors).toEqual([]);
    const comparison = new Comparison(db);
    expect((await comparison.load([{ name: 'app-stops-otp27.zip', bytes: scenarioBytes('app-stops-otp27.zip') }])).errors).toEqual([]);
    const { processes } = await compareTables((sql, max) => engine.query(sql, max), { all: true });
    const crashed = processes.filter((p) => p.crashed_a > 0 || p.crashed_b > 0).map((p) => [p.role, p.crashed_a, p.crashed_b]);
    expect(crashed).toEqual([['Scn.Victim', 1, 1]]);
    // the stopped processes are still there, exited
    for (const role of ['Scn.Brutal', 'Scn.Stubborn']) expect(processes.filter((p) => p.role === role).map((p) => [p.exited_a, p.exited_b])).toEqual([[1, 1]]);
  }, 120_000);
});

// Regression test: the Expectations view's example read `processes.exit_reason`, so every `:killed` exit failed it.
describe("the Expectations view's 'no process crashes' example (app-stops.zip)", () => {
  it('fails on the stray kill alone', async () => {
    const e = await loadScenario('app-stops.zip');
    const [crashes] = await runExpectations(parseExpectations(EXAMPLE_EXPECTATIONS), (sql, max) => e.query(sql, max));
    expect(crashes.name).toMatch(/^no process crashes/);
    expect([crashes.passed, crashes.failures, String(crashes.first?.summary).replace(/;.*/, '')]).toEqual([false, 1, 'Scn.Victim exited: :killed']);
  }, 120_000);
});
