import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type InputFile, type LoadReport } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';

// Regression tests for runs of one node name merging: loaded together, archives of the same node name recorded by
// different OS processes (a day of recordings: two mix sessions of nonode@nohost, a node before and after a restart)
// shared their pids, so one run's <0.182.0> took the other's calls, messages and crash. Fixtures:
// test/scenarios/day_runs.exs, run three times: day-a-N.zip (runs_a@vm) and day-b-N.zip (runs_b@vm), N = 1..3, run
// N making N calls from A to an Echo server on B (its pid <0.115.0> in every run), run 2's worker crashing.

const fixtures = path.resolve(__dirname, '../fixtures');
const read = (rel: string): InputFile => ({ name: rel, bytes: new Uint8Array(readFileSync(path.join(fixtures, rel))) });
const DAY = [1, 2, 3].flatMap((n) => [`scenarios/day-a-${n}.zip`, `scenarios/day-b-${n}.zip`]);

async function loaded(files: string[]): Promise<{ e: Engine; report: LoadReport }> {
  const e = await Engine.create(await openNodeDuckDb());
  const report = await e.load(files.map(read));
  expect(report.errors).toEqual([]);
  return { e, report };
}

const rows = (e: Engine, sql: string) => e.query(sql, 100_000).rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));

/** Which run a node name reads as: `x@h` 1, `x@h#2` 2. */
const runOf = (node: unknown) => Number(/#(\d+)$/.exec(String(node))?.[1] ?? 1);
const asRecorded = (v: unknown) => (typeof v === 'string' ? v.replace(/#\d+$/, '') : v);

// What each run shows loaded on its own, and what the whole day shows of it: the same rows, nodes aside.
const QUESTIONS: [string, string][] = [
  ['processes', `SELECT node, pid, initial_call, spawned_at, exited_at, exit_reason FROM processes`],
  ['messages', `SELECT to_node, to_pid, from_node, from_pid, status, sent_at, received_at, msg FROM messages`],
  ['calls', `SELECT caller_node, caller_pid, callee_node, callee_pid, outcome, latency_ns, request FROM calls`],
  ['states', `SELECT node, pid, ts, callback, state FROM states`],
  // slow_call compares a call with the median of its kind, over everything loaded: the day has more calls than a run
  ['anomalies', `SELECT node, pid, kind, severity, summary FROM anomalies WHERE kind <> 'slow_call'`],
];

describe('a day of recordings: runs of one node name are kept apart', () => {
  let day: Engine;
  let report: LoadReport;
  /** Each run's two archives loaded without the others. */
  const runs: Engine[] = [];
  beforeAll(async () => {
    ({ e: day, report } = await loaded(DAY));
    for (const n of [1, 2, 3]) runs.push((await loaded([`scenarios/day-a-${n}.zip`, `scenarios/day-b-${n}.zip`])).e);
  }, 180_000);
  afterAll(() => [day, ...runs].forEach((e) => e?.db.close()));

  it('names each later run name#N, earliest start first, and says so in one line per node name', () => {
    expect(rows(day, `SELECT DISTINCT node FROM events ORDER BY node`).flat()).toEqual([
      'runs_a@vm',
      'runs_a@vm#2',
      'runs_a@vm#3',
      'runs_b@vm',
      'runs_b@vm#2',
      'runs_b@vm#3',
    ]);
    // meta says which OS process each run is
    const meta = rows(
      day,
      `SELECT source, node, (SELECT value FROM meta m WHERE m.source = meta.source AND key = 'node') FROM meta WHERE key = 'os_pid' ORDER BY source`,
    );
    expect(meta.map(([source, node, recorded]) => [source, node, recorded])).toEqual(
      DAY.slice()
        .sort()
        .map((f) => {
          const [, ab, n] = /day-(a|b)-(\d)/.exec(f)!;
          return [f, `runs_${ab}@vm${n === '1' ? '' : `#${n}`}`, `runs_${ab}@vm`];
        }),
    );
    expect(report.sources.map((s) => [s.name, s.node]).sort()).toEqual(meta.map(([source, node]) => [source, node]));
    const lines = report.warnings.filter((w) => w.includes('different runs'));
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^runs_a@vm was recorded by 3 different runs of it \(OS processes\), whose processes are kept apart: scenarios\/day-a-1\.zip \(OS pid \d+\) as runs_a@vm; scenarios\/day-a-2\.zip \(OS pid \d+\) as runs_a@vm#2; scenarios\/day-a-3\.zip \(OS pid \d+\) as runs_a@vm#3$/,
        ),
      ]),
    );
  });

  it('gives each run its own calls, to its own peer run, and its own crash', () => {
    expect(rows(day, `SELECT caller_node, callee_node, callee_pid, outcome, count(*) FROM calls GROUP BY ALL ORDER BY ALL`)).toEqual([
      ['runs_a@vm', 'runs_b@vm', '<0.115.0>', 'reply', 1],
      ['runs_a@vm#2', 'runs_b@vm#2', '<0.115.0>', 'reply', 2],
      ['runs_a@vm#3', 'runs_b@vm#3', '<0.115.0>', 'reply', 3],
    ]);
    expect(rows(day, `SELECT kind, node FROM anomalies WHERE kind = 'crash'`)).toEqual([['crash', 'runs_a@vm#2']]);
    // the server's state counts its run's calls only
    expect(rows(day, `SELECT node, max(state) FROM states WHERE pid = '<0.115.0>' GROUP BY ALL ORDER BY ALL`)).toEqual([
      ['runs_b@vm', '%{echoed: 1}'],
      ['runs_b@vm#2', '%{echoed: 2}'],
      ['runs_b@vm#3', '%{echoed: 3}'],
    ]);
  });

  for (const [table, sql] of QUESTIONS)
    it(`shows each run's ${table} as that run's two archives loaded alone`, () => {
      const all = rows(day, sql);
      let compared = 0;
      for (const n of [1, 2, 3]) {
        const alone = rows(runs[n - 1], sql)
          .map((r) => JSON.stringify(r))
          .sort();
        const mine = all
          .filter((r) => runOf(r[0]) === n)
          .map((r) => JSON.stringify(r.map(asRecorded)))
          .sort();
        expect({ run: n, rows: mine }).toEqual({ run: n, rows: alone });
        compared += alone.length;
      }
      expect(compared).toBeGreaterThan(0);
    });
});

describe('archives of one run stay one', () => {
  it('merges recordings made one after another in one running node (same node name, same OS pid)', async () => {
    // compare-before.zip and compare-before-again.zip: two recordings of one mix session (compare_runs.exs)
    const { e, report } = await loaded(['scenarios/compare-before.zip', 'scenarios/compare-before-again.zip']);
    expect(rows(e, `SELECT DISTINCT node FROM events`)).toEqual([['nonode@nohost']]);
    expect(report.warnings.filter((w) => w.includes('different runs'))).toEqual([]);
    // a process alive through both recordings is one process
    const [[pids, procs]] = rows(e, `SELECT count(DISTINCT pid), count(*) FROM processes`);
    expect(procs).toBe(pids);
    e.db.close();
  });

  it('leaves a single archive as it was recorded', async () => {
    const { e, report } = await loaded(['scenarios/day-a-2.zip']);
    expect(rows(e, `SELECT DISTINCT node FROM events UNION SELECT DISTINCT peer_node FROM events WHERE peer_node IS NOT NULL ORDER BY 1`)).toEqual([
      ['runs_a@vm'],
      ['runs_b@vm'],
    ]);
    expect(report.warnings.filter((w) => w.includes('different runs'))).toEqual([]);
    e.db.close();
  });

  it('numbers a run loaded later after those already loaded', async () => {
    const e = await Engine.create(await openNodeDuckDb());
    await e.load([read('scenarios/mailbox-flood.zip')]);
    const r = await e.load([read('scenarios/receive-edges.zip')]);
    expect(r.warnings.filter((w) => w.includes('different runs'))).toEqual([
      expect.stringMatching(
        /^nonode@nohost was recorded by 2 different runs .*: scenarios\/mailbox-flood\.zip \(OS pid \d+\) as nonode@nohost; scenarios\/receive-edges\.zip \(OS pid \d+\) as nonode@nohost#2$/,
      ),
    ]);
    expect(rows(e, `SELECT DISTINCT node, src FROM events ORDER BY src`)).toEqual([
      ['nonode@nohost', 0],
      ['nonode@nohost#2', 1],
    ]);
    e.db.close();
  });
});
