import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { Engine, type LoadProgress } from '../../src/engine/engine';
import { BUILD_STEPS, DEFERRED_RAW_TABLES, FIRST_VIEW_STEPS } from '../../src/engine/sql/build';
import { bindViews, VIEWS } from '../../src/engine/views';
import { VIEW_NEEDS } from '../../src/engine/views/needs';
import { BuildCancelledError } from '../../src/engine/table-builds';
import { EXPORT_TABLES } from '../../src/cli/export';

// First view first: after a `background` load the engine answers the Overview and the process list once
// events and processes are built, and builds the other tables behind, one statement at a time, answering
// queries meanwhile. Real DuckDB-WASM (its Node build), real archives written by the recorder.

const dir = path.resolve(__dirname, '../fixtures/archives');
const input = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) });
const open = async () => Engine.create(await openNodeDuckDb());
const FIRST = BUILD_STEPS.slice(0, FIRST_VIEW_STEPS).flatMap((s) => s.makes);
const LATER = BUILD_STEPS.slice(FIRST_VIEW_STEPS).map((s) => s.name);
const rowsOf = (e: Engine, t: string) => e.query(`SELECT * FROM ${t} ORDER BY ALL`, 10_000_000).rows;
const stateOf = (e: Engine, name: string) => e.tables().find((t) => t.name === name)!.state;
const views = (e: Engine) =>
  bindViews(
    async (sql, max) => e.query(sql, max),
    (tables) => e.ready(tables),
  );

/** Every table of docs/SCHEMA.md as `expected` has it. */
function expectSameTables(engine: Engine, expected: Engine): void {
  for (const t of EXPORT_TABLES) expect(rowsOf(engine, t), t).toEqual(rowsOf(expected, t));
}

describe('a background load', () => {
  test('answers the Overview and the process list while the other tables are still building, then fills in', async () => {
    const engine = await open();
    const seen: LoadProgress[] = [];
    let allDone!: () => void;
    const done = new Promise<void>((r) => (allDone = r));
    const report = await engine.load(
      [input('demo.zip')],
      (p) => {
        seen.push(structuredClone(p));
        if (p.phase === 'done') allDone();
      },
      { background: true },
    );
    expect(report.errors).toEqual([]);
    expect(report.building).toEqual(LATER.filter((n) => n !== 'causal_links'));
    // events and processes are built; nothing after them yet: the load returned before the rest started.
    for (const s of BUILD_STEPS) expect(stateOf(engine, s.name), s.name).toBe(FIRST.includes(s.name) ? 'ready' : s.onUse ? 'on use' : 'waiting');

    const v = views(engine);
    const first = await v.overviewFirst();
    const procs = await v.processList();
    // The answers came while anomalies (the last table behind the load) was not built.
    expect(stateOf(engine, 'anomalies')).not.toBe('ready');
    expect(first.totals.events).toBe(Number(engine.query('SELECT count(*) FROM events_raw').rows[0][0]));
    expect(procs.length).toBeGreaterThan(0);

    // A view that needs anomalies waits for them and gets the same answer as after a one-shot load.
    const overview = await v.overview();
    expect(stateOf(engine, 'anomalies')).toBe('ready');
    const oneShot = await open();
    await oneShot.load([input('demo.zip')]);
    expect(overview).toEqual(await views(oneShot).overview());

    // Progress: the steps after the first view are reported as they build (phase building), then done.
    await done;
    const phases = seen.map((p) => p.phase);
    expect(phases.indexOf('building')).toBeGreaterThan(phases.indexOf('analysing'));
    expect(phases.at(-1)).toBe('done');
    expect(
      seen
        .at(-1)!
        .tables!.filter((t) => t.state !== 'ready')
        .map((t) => [t.name, t.state]),
    ).toEqual([['causal_links', 'on use']]);

    // causal_links is built on first use: by the view that reads it.
    expect(stateOf(engine, 'causal_links')).toBe('on use');
    await v.causalChain(40, 'causes', 3);
    expect(stateOf(engine, 'causal_links')).toBe('ready');
    expectSameTables(engine, oneShot);
  }, 600_000);

  test('the views the page names come first: nothing behind is built before the lanes and the first marks answered', async () => {
    // Regression test for a page opened on the Timeline at 1M events: its lanes were asked for after the build's
    // head start had ended (the page was still drawing what the load answered), and waited for its first statement.
    const engine = await open();
    const report = await engine.load([input('demo.zip')], undefined, { background: true, firstViews: ['timelineLanes', 'timelineMarks'] });
    expect(report.errors).toEqual([]);
    const v = bindViews(
      async (sql, max) => engine.query(sql, max),
      (tables) => engine.ready(tables),
      (view) => engine.viewAnswered(view),
    );
    // longer than the head start (150 ms), shorter than the longest wait for the named views (1 s)
    await new Promise((r) => setTimeout(r, 400));
    const later = () => LATER.filter((n) => n !== 'causal_links').map((n) => stateOf(engine, n));
    expect(new Set(later())).toEqual(new Set(['waiting']));
    const lanes = await v.timelineLanes();
    expect(new Set(later())).toEqual(new Set(['waiting']));
    const span = report.span!;
    const len = Number(span.end - span.start) + 1;
    const tile = await v.timelineMarks(span.start, len, lanes, { from: 0, to: lanes.length }, 0, len, 1);
    expect(tile.marks.count).toBeGreaterThan(0);
    await engine.ready();
    expect(new Set(later())).toEqual(new Set(['ready']));
  });

  test('every table equals the one-shot build: one archive, merged archives (resequenced), a second load on top', async () => {
    const staged = await open();
    const oneShot = await open();
    for (const files of [['crash.zip'], ['demo.zip', 'calltrace.zip'], ['statem.zip']]) {
      await staged.load(files.map(input), undefined, { background: true });
      await oneShot.load(files.map(input));
      await staged.ready();
      expectSameTables(staged, oneShot);
    }
  }, 600_000);

  test('the ingest tables the first view does not read go in behind it, before the steps that read them', async () => {
    const engine = await open();
    const oneShot = await open();
    await oneShot.load([input('demo.zip')]);
    await engine.load([input('demo.zip')], undefined, { background: true });
    const count = (e: Engine, t: string) => Number(e.db.query(`SELECT count(*) FROM ${t}`).rows[0][0]);
    for (const t of DEFERRED_RAW_TABLES) expect(count(engine, t), t).toBe(0);
    expect(count(engine, 'events_raw')).toBe(count(oneShot, 'events_raw'));
    await engine.ready(['call_msgs_raw']);
    for (const t of DEFERRED_RAW_TABLES) {
      expect(count(oneShot, t), t).toBeGreaterThan(0);
      expect(rowsOf(engine, t), t).toEqual(rowsOf(oneShot, t));
    }
  }, 600_000);

  test('a second load while the first is still building: waiters get the second load’s tables', async () => {
    const engine = await open();
    await engine.load([input('demo.zip')], undefined, { background: true });
    const waiting = engine.ready(['anomalies']);
    await engine.load([input('crash.zip')], undefined, { background: true });
    await waiting;
    await engine.ready();
    const oneShot = await open();
    await oneShot.load([input('demo.zip'), input('crash.zip')]);
    expectSameTables(engine, oneShot);
  }, 600_000);
});

test('held builds: the first view is built, nothing behind it until released, then every table as a one-shot load', async () => {
  const engine = await open();
  engine.holdBuilds(true);
  await engine.load([input('demo.zip')], undefined, { background: true });
  const anomalies = engine.ready(['anomalies']);
  let anomaliesReady = false;
  void anomalies.then(() => (anomaliesReady = true));
  // Past the head start the rest is given (150 ms) and many turns of the event loop: the loop stays before the
  // first step behind the first view.
  for (let i = 0; i < 40; i++) await new Promise((r) => setTimeout(r, 25));
  for (const s of BUILD_STEPS.slice(0, FIRST_VIEW_STEPS)) expect(stateOf(engine, s.name), s.name).toBe('ready');
  for (const name of LATER) expect(stateOf(engine, name), name).not.toBe('ready');
  expect(stateOf(engine, LATER[0])).toBe('waiting');
  expect(anomaliesReady).toBe(false);
  engine.holdBuilds(false);
  await anomalies;
  await engine.ready();
  const oneShot = await open();
  await oneShot.load([input('demo.zip')]);
  expectSameTables(engine, oneShot);
}, 600_000);

describe('cancel', () => {
  // Each stage a cancel can hit: reading the second archive, building its first view, and building behind it.
  // A view waiting for anomalies when the cancel comes is told it was cancelled (a cancel while reading only
  // stops the reading: the tables are then built for what was loaded before, and the wait ends with them).
  const both = ['demo.zip', 'crash.zip'];
  const stages: { name: string; at: (p: LoadProgress) => boolean; loaded: string[]; waitRejects: boolean }[] = [
    { name: 'while reading', at: (p) => p.phase === 'ingesting', loaded: ['demo.zip'], waitRejects: false },
    { name: 'building processes (first view)', at: (p) => p.step?.name === 'processes', loaded: both, waitRejects: true },
    { name: 'building messages (behind)', at: (p) => p.step?.name === 'messages', loaded: both, waitRejects: true },
    { name: 'building calls (behind)', at: (p) => p.step?.name === 'calls', loaded: both, waitRejects: true },
    { name: 'building anomalies (behind)', at: (p) => p.step?.name === 'anomalies', loaded: both, waitRejects: true },
  ];
  test.each(stages)(
    '$name: the engine stays usable, earlier loads intact, the rest built on next use',
    async ({ at, loaded, waitRejects }) => {
      const engine = await open();
      await engine.load([input('demo.zip')], undefined, { background: true });
      await engine.ready();
      let cancelled = false;
      let waiting: Promise<void> | undefined;
      let reached!: () => void;
      const cancelledNow = new Promise<void>((r) => (reached = r));
      const report = await engine.load(
        [input('crash.zip')],
        (p) => {
          if (!cancelled && at(p)) {
            cancelled = true;
            waiting = engine.ready(['anomalies']);
            waiting.catch(() => {});
            engine.cancel();
            reached();
          }
        },
        { background: true },
      );
      // A cancel behind the first view comes after the load returned.
      await cancelledNow;
      expect(report.errors).toEqual([]);
      if (waitRejects) await expect(waiting).rejects.toBeInstanceOf(BuildCancelledError);
      else await waiting;
      // Nothing builds behind a cancel: what it stopped stays unbuilt until used.
      if (waitRejects) expect(stateOf(engine, 'anomalies')).toBe('stopped');
      // The next use builds what is missing; every table is then what a one-shot load of the same archives gives.
      await engine.ready();
      const oneShot = await open();
      await oneShot.load(loaded.map(input));
      expectSameTables(engine, oneShot);
    },
    600_000,
  );
});

describe('which view needs which tables (views/needs.ts)', () => {
  // Every table a view's SQL names must be built by a step no later than the last of the view's needs (each step
  // may read every earlier one), and a table built on use (or by a leaf step) only if the view names it.
  const stepOf = new Map(BUILD_STEPS.flatMap((s, i) => s.makes.map((t) => [t, i] as const)));
  test('each view reads only tables its needs have built', async () => {
    const engine = await open();
    await engine.load([input('demo.zip')]);
    const span = (await views(engine).traceSpan())!;
    const workerA = engine
      .query(`SELECT node, pid FROM processes WHERE name = 'OtpscopeDemo.WorkerA'`)
      .rows.map(([node, pid]) => ({ node: String(node), pid: String(pid) }))[0];
    const calls: Partial<Record<keyof typeof VIEWS, (v: ReturnType<typeof views>) => Promise<unknown>>> = {
      overview: (v) => v.overview(),
      overviewFirst: (v) => v.overviewFirst(),
      overviewCounts: (v) => v.overviewCounts(),
      anomalyList: (v) => v.anomalyList(),
      anomalyEvidence: (v) => v.anomalyEvidence(0),
      processList: (v) => v.processList(),
      stoppedProcesses: (v) => v.stoppedProcesses(),
      traceSpan: (v) => v.traceSpan(),
      eventDetail: (v) => v.eventDetail(40),
      eventPlace: (v) => v.eventPlace(40),
      stateAt: (v) => v.stateAt(workerA, span.end),
      stateChangesAround: (v) => v.stateChangesAround(workerA, span.end),
      mailboxAt: (v) => v.mailboxAt(workerA, span.end),
      callsInFlight: (v) => v.callsInFlight(workerA, span.end),
      stateChanges: (v) => v.stateChanges(workerA, 0),
      sequenceProcesses: (v) => v.sequenceProcesses(),
      sequenceSuggested: (v) => v.sequenceSuggested(),
      sequenceRows: (v) => v.sequenceRows(span.start, [workerA], null),
      causalChain: (v) => v.causalChain(40, 'causes', 3),
      sourceOfEvent: (v) => v.sourceOfEvent(40),
      callGroups: (v) => v.callGroups(),
      callHistogram: (v) => v.callHistogram(null),
      slowestCalls: (v) => v.slowestCalls(null),
      unansweredCalls: (v) => v.unansweredCalls(null),
      timelineLanes: (v) => v.timelineLanes(),
      timelineTile: (v) => v.timelineTile(span.start, 1e9, [workerA], { from: 0, to: 1 }, 0, 1e9, 1024),
      timelineMarks: (v) => v.timelineMarks(span.start, 1e9, [workerA], { from: 0, to: 1 }, 0, 1e9, 1024),
      timelineEvent: (v) => v.timelineEvent(span.start, 40),
      timelineArea: (v) => v.timelineArea(span.start, [workerA], 0, 1e9),
      timelineAreaRows: (v) => v.timelineAreaRows(span.start, 1e9, [workerA], 0, 1e9),
      chartBusiest: (v) => v.chartBusiest(3),
      chartSeries: (v) => v.chartSeries(span.start, [workerA], 0, 1e8, 10),
      markdownReport: (v) => v.markdownReport({ archive: 'demo.zip', link: '#a=demo.zip' }),
      checkLink: (v) => v.checkLink(workerA, 40),
      searchTrace: (v) => v.searchTrace('WorkerA'),
      processTable: (v) => v.processTable(),
      flameChart: (v) => v.flameChart(workerA),
      flameProcesses: (v) => v.flameProcesses(),
    };
    // Views that need every table are not listed above; every other view is.
    const listed = Object.entries(VIEW_NEEDS)
      .filter(([, needs]) => needs !== null)
      .map(([name]) => name)
      .sort();
    expect(Object.keys(calls).sort()).toEqual(listed);
    const named = (sql: string) => [...stepOf.keys()].filter((t) => new RegExp(`\\b${t}\\b`, 'i').test(sql));
    for (const [name, call] of Object.entries(calls)) {
      const needs = VIEW_NEEDS[name as keyof typeof VIEWS]!;
      const upTo = Math.max(...needs.map((t) => stepOf.get(t)!));
      const read: string[] = [];
      const recording = bindViews(async (sql, max) => {
        read.push(...named(sql));
        return engine.query(sql, max);
      });
      await call(recording);
      for (const t of new Set(read)) {
        const i = stepOf.get(t)!;
        // Steps built on use, and those no later step reads (leaf), are built only for a view that names their tables.
        expect(i <= upTo && (!(BUILD_STEPS[i].onUse || BUILD_STEPS[i].leaf) || needs.includes(t)), `${name} reads ${t}`).toBe(true);
      }
    }
  }, 600_000);

  test('with only the first view built, the Overview’s first part, the process list and the lanes answer', async () => {
    const engine = await open();
    let cancelled = false;
    await engine.load(
      [input('demo.zip')],
      (p) => {
        // Stop as soon as the first view is in: on the first statement behind it.
        if (!cancelled && p.phase === 'building') {
          cancelled = true;
          engine.cancel();
        }
      },
      { background: true },
    );
    expect(cancelled).toBe(true);
    // The first load's later tables do not exist at all: a view that read one would fail.
    expect(engine.query(`SELECT count(*) FROM duckdb_tables() WHERE table_name = 'messages'`).rows).toEqual([[0]]);
    const v = views(engine);
    expect((await v.overviewFirst()).totals.events).toBeGreaterThan(0);
    expect((await v.processList()).length).toBeGreaterThan(0);
    const lanes = await v.timelineLanes();
    expect(lanes.length).toBeGreaterThan(0);
    // The timeline's marks alone: events per lane, no spans or arrows yet.
    const span = (await v.traceSpan())!;
    const len = Number(span.end - span.start);
    const all = { from: 0, to: lanes.length };
    const early = await v.timelineMarks(span.start, len, lanes, all, 0, len + 1, 1024);
    expect(early.marks.count).toBeGreaterThan(0);
    expect([early.spans.count, early.arrows.count]).toEqual([0, 0]);
    expect((await v.searchTrace('WorkerA')).total).toBeGreaterThan(0);
    expect(engine.query(`SELECT count(*) FROM duckdb_tables() WHERE table_name = 'messages'`).rows).toEqual([[0]]);
    // Once every table is built, the whole tile's marks are the same.
    await engine.ready();
    const whole = await v.timelineTile(span.start, len, lanes, all, 0, len + 1, 1024);
    expect(whole.arrows.count).toBeGreaterThan(0);
    expect(early.marks).toEqual(whole.marks);
  }, 600_000);
});
