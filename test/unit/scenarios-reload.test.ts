import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { rows, scenarioBytes } from './scenarios-load';

const counts = (e: Engine) =>
  rows(
    e,
    `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM calls), (SELECT count(*) FROM anomalies WHERE kind = 'crash'),
            (SELECT count(*) FROM messages), (SELECT min(latency_ns) // 1000000 FROM calls WHERE outcome = 'timeout')`,
  )[0];

// Regression test: adding the same archive again doubled every event, crash and message, and paired each
// request with its own copy ("timed out after 0.0 ms").
describe('the same trace added twice', () => {
  it('is recognised by its content and not loaded again, with a notice; other files still load', async () => {
    const e = await Engine.create(await openNodeDuckDb());
    const first = await e.load([{ name: 'call-timeout.zip', bytes: scenarioBytes('call-timeout.zip') }]);
    expect(first.duplicates).toEqual([]);
    const once = counts(e);
    expect(once).toEqual([35, 3, 1, 17, 20]);

    // the same bytes under another name, twice in one drop, beside a new archive
    const again = await e.load([
      { name: 'copy.zip', bytes: scenarioBytes('call-timeout.zip') },
      { name: 'gen-statem.zip', bytes: scenarioBytes('gen-statem.zip') },
      { name: 'gen-statem.zip', bytes: scenarioBytes('gen-statem.zip') },
    ]);
    expect(again.errors).toEqual([]);
    expect(again.duplicates).toEqual([
      { file: 'copy.zip', sameAs: 'call-timeout.zip' },
      { file: 'gen-statem.zip', sameAs: 'gen-statem.zip' },
    ]);
    // two recordings of nonode@nohost by different OS processes: kept apart, and the copy that is not loaded names no run
    expect(again.warnings).toEqual([
      'nonode@nohost was recorded by 2 different runs of it (OS processes), whose processes are kept apart: ' +
        'call-timeout.zip (OS pid 31473) as nonode@nohost; gen-statem.zip (OS pid 26503) as nonode@nohost#2',
      'copy.zip is already loaded (same content as call-timeout.zip); not loaded again',
      'gen-statem.zip is already loaded; not loaded again',
    ]);
    expect(again.sources.map((s) => s.name)).toEqual(['gen-statem.zip']);
    const gen = rows(e, `SELECT count(*) FROM events WHERE src = 1`)[0][0] as number;
    expect(gen).toBeGreaterThan(0);
    expect(rows(e, `SELECT count(DISTINCT src) FROM events`)).toEqual([[2]]);
    expect(rows(e, `SELECT count(*) FROM calls WHERE outcome = 'timeout'`)).toEqual([[2]]);

    // nothing new at all: nothing changes and no analysis runs
    const none = await e.load([{ name: 'call-timeout.zip', bytes: scenarioBytes('call-timeout.zip') }]);
    expect(none.duplicates).toEqual([{ file: 'call-timeout.zip', sameAs: 'call-timeout.zip' }]);
    expect(none.timings.steps).toEqual([]);
    expect(rows(e, `SELECT count(*) FROM events WHERE src = 0`)).toEqual([[35]]);
  });
});
