import { describe, expect, test } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/taken_names.exs as OTP 25 / Elixir 1.14 and OTP 27 / Elixir 1.18 record it: processes spawned while
// recorded take a name themselves after their start (a Registry key in a DynamicSupervisor child's init/1, a :global
// name, a local name) and exit before the recording stops; a duplicate Registry key and a refused :global name name
// nobody; one GenServer is started under a via name (its spawn tells it) and takes a key in its init/1 too.

const TAKEN: [string, string][] = [
  ['{:via, Registry, {Scn.TakenReg, {:job, 1}}}', 'Scn.TakenWorker.init/1'],
  ['{:via, Registry, {Scn.TakenReg, {:job, 2}}}', 'Scn.TakenWorker.init/1'],
  ['{:via, Registry, {Scn.TakenReg, {:job, 3}}}', 'Scn.TakenWorker.init/1'],
  ['{:global, :scn_taken_global}', 'Task'],
  [':scn_taken_local', 'Task'],
  // the name it was started under first, then the key its init/1 took
  ['{:via, Registry, {Scn.TakenReg, :by_start}}', 'Scn.TakenWorker.init/1'],
];

describe.each(['taken-names.zip', 'taken-names-otp27.zip'])('%s: names taken and lost while recorded', (archive) => {
  // Regression test: processes.name was NULL for the processes that took a Registry key or a :global name after
  // their start and exited before the stop (the recorder read names at start and stop, and from spawns only).
  test('processes.name holds the name each took, for processes that exited before the stop', async () => {
    const engine = await loadScenario(archive);
    const got = rows(
      engine,
      `SELECT name, CASE WHEN initial_call LIKE 'Scn.%' THEN initial_call ELSE 'Task' END
       FROM processes WHERE spawned_at IS NOT NULL AND exited_at IS NOT NULL AND name IS NOT NULL
         AND (name LIKE '%scn_taken%' OR name LIKE '%Scn.Taken%') ORDER BY name`,
    );
    expect(got).toEqual([...TAKEN].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    // a duplicate Registry's key and a :global name refused name nobody; the key by_start's init/1 took is not its name
    expect(rows(engine, `SELECT count(*) FROM processes WHERE name LIKE '{%TakenTopics%' OR name LIKE '%{:job, 0}%'`)).toEqual([[0]]);
    expect(rows(engine, `SELECT count(*) FROM processes WHERE name = '{:global, :scn_taken_held}' AND spawned_at IS NOT NULL`)).toEqual([[0]]);
    // traced for the names alone: no call events of the functions that take them
    expect(rows(engine, `SELECT count(*) FROM events WHERE mfa LIKE 'Registry.register%' OR mfa LIKE ':global.%register_name%'`)).toEqual([[0]]);
  }, 120_000);
});
