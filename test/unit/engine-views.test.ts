import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngineApi, type EngineApi } from '../../src/engine/api';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { Engine } from '../../src/engine/engine';
import { EXAMPLE_EXPECTATIONS } from '../../src/engine/analyses/expectations';
import { connectEngine, type EngineBridge } from '../../src/ui/lib/engine-bridge';

// The views' typed queries (src/engine/views), called as the UI calls them: through the bridge,
// over a real MessageChannel with comlink, to the engine API on DuckDB-WASM's Node build, on the
// recorder's committed fixture archives. Expected values come from the recorder's own ground truth
// (test/fixtures/archives/*.expected.json, computed in Elixir from the same files) where it has them.

const root = path.resolve(__dirname, '../..');
const dir = path.join(root, 'test/fixtures/archives');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.zip'));
const input = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) });
const expected = (name: string) =>
  JSON.parse(readFileSync(path.join(dir, name.replace('.zip', '.expected.json')), 'utf8')) as {
    events_total: number;
    events_by_kind: Record<string, number>;
    events_dropped: number;
    states: Record<string, string[]>;
  };

interface Connected {
  api: EngineApi;
  bridge: EngineBridge;
  close: () => void;
}

function connect(): Connected {
  const api = createEngineApi(async () => Engine.create(await openNodeDuckDb()));
  const channel = new MessageChannel();
  expose(api, nodeEndpoint(channel.port1));
  const bridge = connectEngine(nodeEndpoint(channel.port2));
  return { api, bridge, close: () => (channel.port1.close(), channel.port2.close()) };
}

describe('the engine API through the bridge (demo.zip)', () => {
  let c: Connected;
  let span: { start: bigint; end: bigint };
  const workerA = { node: 'nonode@nohost', pid: '<0.139.0>' };
  const workerB = { node: 'nonode@nohost', pid: '<0.138.0>' };

  beforeAll(async () => {
    c = connect();
    const progress: string[] = [];
    const report = await c.bridge.load([input('demo.zip')], (p) => progress.push(p.phase));
    expect(report.errors).toEqual([]);
    expect(progress).toContain('ingesting'); // the callback crossed the channel (later ones may still be on their way)
    span = (await c.bridge.views.traceSpan())!;
  }, 300_000);
  afterAll(() => c.close());

  test('every method and every view of EngineApi is reachable through the bridge and answers', async () => {
    // Each entry calls one API member through the bridge; a member without an entry fails this test.
    const calls: Record<string, () => Promise<unknown>> = {
      version: () => c.bridge.version(),
      load: () => c.bridge.load([]),
      cancelLoad: () => c.bridge.cancelLoad(),
      holdBuilds: async () => {
        await c.bridge.holdBuilds(true);
        await c.bridge.holdBuilds(false);
      },
      holdAnswers: async () => {
        await c.bridge.holdAnswers('traceSpan');
        const held = c.bridge.latest.traceSpan('held');
        await expect.poll(() => c.bridge.holdAnswers(undefined)).toBe(1);
        await c.bridge.holdAnswers(null);
        expect(await held).not.toBeNull();
        expect(await c.bridge.holdAnswers(undefined)).toBe(0);
      },
      tables: async () => expect((await c.bridge.tables()).every((t) => t.state === 'ready' || t.state === 'on use')).toBe(true),
      ready: () => c.bridge.ready(['anomalies']),
      memory: () => c.bridge.memory(),
      // In Node, parquet-wasm's wasm file is served by Vite only: reaching its loader proves the call got through
      // (after the console ran the query); the browser tests write a real Parquet file.
      exportParquet: () => expect(c.bridge.exportParquet('SELECT 1 AS x')).rejects.toThrow(/parquet_wasm_bg\.wasm/),
      setParams: () => c.bridge.setParams({}),
      'console.run': () => c.bridge.console.run('SELECT 1 AS x'),
      'console.cancel': () => c.bridge.console.cancel(),
      'views.overview': () => c.bridge.views.overview(),
      'views.overviewFirst': () => c.bridge.views.overviewFirst(),
      'views.overviewCounts': () => c.bridge.views.overviewCounts(),
      'views.anomalyList': () => c.bridge.views.anomalyList(),
      'views.anomalyEvidence': () => c.bridge.views.anomalyEvidence(0),
      'views.processList': () => c.bridge.views.processList(),
      'views.stoppedProcesses': () => c.bridge.views.stoppedProcesses(),
      'views.traceSpan': () => c.bridge.views.traceSpan(),
      'views.eventDetail': () => c.bridge.views.eventDetail(0),
      'views.eventPlace': () => c.bridge.views.eventPlace(0),
      'views.checkExpectations': () => c.bridge.views.checkExpectations('-- check: x\nSELECT 1 WHERE false'),
      'views.stateAt': () => c.bridge.views.stateAt(workerA, span.end),
      'views.stateChangesAround': () => c.bridge.views.stateChangesAround(workerA, span.end),
      'views.mailboxAt': () => c.bridge.views.mailboxAt(workerA, span.end),
      'views.callsInFlight': () => c.bridge.views.callsInFlight(workerA, span.end),
      'views.stateChanges': () => c.bridge.views.stateChanges(workerA, 0),
      'views.sequenceProcesses': () => c.bridge.views.sequenceProcesses(),
      'views.sequenceSuggested': () => c.bridge.views.sequenceSuggested(),
      'views.sequenceRows': () => c.bridge.views.sequenceRows(span.start, [workerA, workerB], null),
      'views.causalChain': () => c.bridge.views.causalChain(40, 'causes', 3),
      'views.sourceOfEvent': () => c.bridge.views.sourceOfEvent(0),
      'views.schemaListing': () => c.bridge.views.schemaListing(),
      'views.callGroups': () => c.bridge.views.callGroups(),
      'views.callHistogram': () => c.bridge.views.callHistogram(null),
      'views.slowestCalls': () => c.bridge.views.slowestCalls(null),
      'views.unansweredCalls': () => c.bridge.views.unansweredCalls(null),
      'views.timelineLanes': () => c.bridge.views.timelineLanes(),
      'views.timelineTile': () => c.bridge.views.timelineTile(span.start, 1e9, [workerA], { from: 0, to: 1 }, 0, 1e9, 1024),
      'views.timelineMarks': () => c.bridge.views.timelineMarks(span.start, 1e9, [workerA], { from: 0, to: 1 }, 0, 1e9, 1024),
      'views.timelineEvent': () => c.bridge.views.timelineEvent(span.start, 0),
      'views.timelineArea': () => c.bridge.views.timelineArea(span.start, [workerA], 0, 1e9),
      'views.timelineAreaRows': () => c.bridge.views.timelineAreaRows(span.start, 1e9, [workerA], 0, 1e9),
      'views.chartBusiest': () => c.bridge.views.chartBusiest(3),
      'views.chartSeries': () => c.bridge.views.chartSeries(span.start, [workerA], 0, 1e8, 10),
      // Comparing with a recording B (in this order: load B first, clear it last).
      'compare.load': () => c.bridge.compare.load([input('demo.zip')]),
      'views.compareLoaded': async () => expect(await c.bridge.views.compareLoaded()).toBe(true),
      'views.compareTables': () => c.bridge.views.compareTables(),
      'views.compareMatches': () => c.bridge.views.compareMatches(),
      'compare.b': async () => expect((await c.bridge.compare.b.eventPlace(0))?.seq).toBe(0),
      'compare.setMatch': () => c.bridge.compare.setMatch(workerA, workerB),
      'compare.resetMatches': () => c.bridge.compare.resetMatches(),
      'compare.clear': async () => {
        await c.bridge.compare.clear();
        expect(await c.bridge.views.compareLoaded()).toBe(false);
      },
      'views.checkLink': () => c.bridge.views.checkLink(workerA, 0),
      'views.markdownReport': () => c.bridge.views.markdownReport({ archive: 'demo.zip', link: '#a=demo.zip' }),
      'views.searchTrace': () => c.bridge.views.searchTrace('WorkerA'),
      'views.processTable': () => c.bridge.views.processTable(),
      'views.flameChart': () => c.bridge.views.flameChart(workerA),
      'views.flameProcesses': () => c.bridge.views.flameProcesses(),
      // after a load the warm-up has nothing to do
      warmUp: async () => expect((await c.bridge.warmUp([input('demo.zip')])).outcome).toBe('skipped'),
    };
    const members = Object.entries(c.api).flatMap(([k, v]) => (typeof v === 'function' ? [k] : Object.keys(v as object).map((m) => `${k}.${m}`)));
    const latest = members.filter((m) => m.startsWith('latest.'));
    expect(latest.map((m) => m.replace('latest.', 'views.')).sort()).toEqual(members.filter((m) => m.startsWith('views.')).sort());
    expect(members.filter((m) => !m.startsWith('latest.')).sort()).toEqual(Object.keys(calls).sort());
    for (const [name, call] of Object.entries(calls)) await expect(call(), name).resolves.not.toThrow();
    // The keyed variants: an older request with the same key is superseded, the newest answers.
    const older = c.bridge.latest.eventPlace('k', 1);
    const newer = c.bridge.latest.eventPlace('k', 2);
    await expect(older).rejects.toThrow(/superseded/);
    expect((await newer)?.seq).toBe(2);
  }, 300_000);

  test('input bytes are moved to the engine, not copied', async () => {
    const fresh = connect();
    try {
      const file = input('demo.zip');
      await fresh.bridge.load([file]);
      expect(file.bytes.byteLength).toBe(0); // detached: transferred
    } finally {
      fresh.close();
    }
  }, 300_000);

  test('overview: the recorder ground truth, by kind and in total', async () => {
    const truth = expected('demo.zip');
    const fresh = connect();
    try {
      await fresh.bridge.load([input('demo.zip')]);
      const o = await fresh.bridge.views.overview();
      expect(o.totals.events).toBe(truth.events_total);
      expect(Object.fromEntries(o.kinds.map((k) => [k.kind, k.n]))).toEqual(truth.events_by_kind);
      expect(o.kinds.map((k) => k.n)).toEqual([...o.kinds.map((k) => k.n)].sort((a, b) => b - a));
      expect(o.nodes).toEqual([{ node: 'nonode@nohost', events: 65, processes: 62, t0: o.totals.t0, t1: o.totals.t1 }]);
      expect(o.busiest.slice(0, 2)).toEqual([
        { node: 'nonode@nohost', pid: '<0.139.0>', who: 'OtpscopeDemo.WorkerA', events: 22 },
        { node: 'nonode@nohost', pid: '<0.138.0>', who: 'OtpscopeDemo.WorkerB', events: 16 },
      ]);
      expect(o.sources).toEqual([
        {
          source: 'demo.zip',
          node: 'nonode@nohost',
          eventsDropped: truth.events_dropped,
          termsTruncated: 0,
          stopReason: 'stop',
          otpRelease: '25',
          elixirVersion: '1.14.0',
          recorderVersion: '0.1.0',
        },
      ]);
    } finally {
      fresh.close();
    }
  }, 300_000);

  test('state at an instant, its neighbours and the mailbox, against the recorder ground truth', async () => {
    const states = expected('demo.zip').states['OtpscopeDemo.WorkerA'];
    const last = await c.bridge.views.stateAt(workerA, span.end);
    expect(last).toMatchObject({ state: states[3], prevState: states[2], index: 4, total: 4, callback: 'handle_info', message: ':increment' });
    const nav = await c.bridge.views.stateChangesAround(workerA, span.end);
    expect(nav.count).toBe(4);
    expect(nav.next).toBeNull();
    const before = await c.bridge.views.stateAt(workerA, nav.prev!.ts);
    expect(before?.state).toBe(states[2]);
    expect(await c.bridge.views.stateAt(workerA, span.start)).toBeNull();
    const changes = await c.bridge.views.stateChanges(workerA, last!.seq);
    expect(changes).toEqual([{ label: '[:count]', change: 'changed', before: '2', after: '3' }]);
  });

  test('calls: the three pings of WorkerA to WorkerB, grouped, bucketed and listed', async () => {
    const groups = await c.bridge.views.callGroups();
    expect(groups.map((g) => [g.callee, g.shape, g.n, g.timeouts, g.no_reply])).toEqual([['OtpscopeDemo.WorkerB', ':ping', 3, 0, 0]]);
    const hist = await c.bridge.views.callHistogram(null);
    expect(hist.reduce((n, b) => n + b.n, 0)).toBe(3);
    const slowest = await c.bridge.views.slowestCalls({ callee: 'OtpscopeDemo.WorkerB', shape: ':ping' });
    expect(slowest).toHaveLength(3);
    expect(slowest[0].latency_ns).toBe(groups[0].max);
    for (const s of slowest) {
      // each latency lands in a bucket [lo, hi) the histogram counts it in
      expect(hist.find((h) => h.lo <= s.latency_ns! && s.latency_ns! < h.hi)?.n ?? 0).toBeGreaterThan(0);
      expect(s.request).toMatch(/^\{:ping, #PID<0\.139\.0>, "hello from A #\d"\}$/);
    }
    expect(await c.bridge.views.unansweredCalls(null)).toEqual([]);
  });

  test('sequence: the suggested pair exchange the call and its reply, paired by call_seq', async () => {
    const pair = await c.bridge.views.sequenceSuggested();
    expect(pair).toEqual([workerB, workerA]);
    const { rows, total } = await c.bridge.views.sequenceRows(span.start, pair, null);
    expect(total).toBe(6);
    const messages = rows.filter((r) => r.type === 'message');
    expect(messages.map((m) => (m.type === 'message' ? [m.from, m.to, m.role, m.label] : null))).toEqual([
      [1, 0, 'call', '{:ping, #PID<0.139.0>, "hello from A #1"}'],
      [0, 1, 'reply', ':ok'],
      [1, 0, 'call', '{:ping, #PID<0.139.0>, "hello from A #2"}'],
      [0, 1, 'reply', ':ok'],
      [1, 0, 'call', '{:ping, #PID<0.139.0>, "hello from A #3"}'],
      [0, 1, 'reply', ':ok'],
    ]);
    const [call, reply] = messages;
    expect(call.type === 'message' && reply.type === 'message' && call.callSeq === reply.callSeq).toBe(true);
  });

  test('timeline: one mark per event at the finest bucket, spans from the engine spans, arrows for received messages', async () => {
    const lanes = await c.bridge.views.timelineLanes();
    const len = Number(span.end - span.start);
    const tile = await c.bridge.views.timelineTile(span.start, len, lanes, { from: 0, to: lanes.length }, 0, len + 1, 1);
    const o = await c.bridge.views.overview();
    expect(tile.marks.count).toBe(o.nodes[0].events - 0); // every event has a pid here: one mark each at 1 ns buckets
    expect(Math.max(...tile.marks.n)).toBe(1);
    const { n: spans } = await c.api.console.run('SELECT count(*) AS n FROM spans').then((r) => ({ n: Number(r.rows[0][0]) }));
    expect(tile.spans.count).toBe(spans);
    const { n: arrows } = await c.api.console
      .run('SELECT count(*) FROM messages WHERE send_seq IS NOT NULL AND recv_seq IS NOT NULL')
      .then((r) => ({ n: Number(r.rows[0][0]) }));
    expect(tile.arrows.count).toBe(arrows);
    const area = await c.bridge.views.timelineArea(span.start, lanes, 0, len);
    expect(area.events).toBe(65);
    expect(area.processes).toBe(lanes.length);
  });

  test('source: a WorkerA callback call shows WorkerA source from the archive', async () => {
    const [row] = (await c.bridge.console.run("SELECT seq FROM events WHERE kind = 'call' AND mfa = 'OtpscopeDemo.WorkerA.handle_info/2' ORDER BY seq LIMIT 1"))
      .rows;
    const src = await c.bridge.views.sourceOfEvent(Number(row[0]));
    expect(src).toMatchObject({ reason: null, module: 'OtpscopeDemo.WorkerA', fun: 'handle_info', arity: 2 });
    expect(src?.reason === null && src.file?.text).toMatch(/defmodule OtpscopeDemo\.WorkerA/);
    expect(await c.bridge.views.sourceOfEvent(0)).toMatchObject({ reason: 'not-code' });
  });

  test('schema listing: the documented tables first, each with its columns', async () => {
    const s = await c.bridge.views.schemaListing();
    expect(s.tables.slice(0, 3).map((t) => t.name)).toEqual(['events', 'processes', 'messages']);
    expect(s.tables.find((t) => t.name === 'events')?.columns.slice(0, 2)).toEqual([
      { name: 'seq', type: 'BIGINT' },
      { name: 'ts', type: 'BIGINT' },
    ]);
    expect(s.macros).toContain('mailbox_at(t)');
  });
});

describe('the SQL console: its own connection, read-only, cancellable, time-limited', () => {
  let c: Connected;
  beforeAll(async () => {
    c = connect();
    await c.bridge.load([input('demo.zip')]);
  }, 300_000);
  afterAll(() => c.close());

  test.each([
    'DROP TABLE states',
    'DELETE FROM events_raw',
    'CREATE OR REPLACE VIEW events AS SELECT * FROM events_raw WHERE false',
    'UPDATE processes SET name = NULL',
    'COMMIT; DROP TABLE states',
    'SELECT 1; ROLLBACK; DELETE FROM states',
    'USE memory',
    '/* hidden */ commit',
    "SELECT ';' AS x; END; DROP TABLE calls",
  ])('%s changes nothing and says why', async (sql) => {
    const before = await c.bridge.views.overview();
    await expect(c.bridge.console.run(sql)).rejects.toThrow(/read-only/);
    expect(await c.bridge.views.overview()).toEqual(before);
  });

  test('a query with semicolons and keywords inside strings and comments still runs', async () => {
    const r = await c.bridge.console.run("-- COMMIT;\nSELECT 'commit; drop table x' AS s, count(*) AS n FROM states");
    expect(r.rows).toEqual([['commit; drop table x', 9]]);
    expect(r.changed).toEqual([]);
  });

  test('a runaway query stops at its time limit, and the views answer while it runs', async () => {
    const runaway = c.bridge.console.run('SELECT count(*) FROM range(10000000000000)', { timeLimitMs: 3_000 });
    // the views' own connection is not blocked by the console's query
    const o = await c.bridge.views.overview();
    expect(o.totals.events).toBe(65);
    await expect(runaway).rejects.toThrow(/time limit \(3 s\)/);
    expect((await c.bridge.console.run('SELECT 42 AS x')).rows).toEqual([[42]]);
  }, 300_000);

  test('cancel stops a running query', async () => {
    const runaway = c.bridge.console.run('SELECT count(*) FROM range(10000000000000)');
    await c.bridge.views.traceSpan(); // the query is running by now
    await c.bridge.console.cancel();
    await expect(runaway).rejects.toThrow(/cancelled/);
  }, 300_000);
});

describe('one definition of each thing', () => {
  test.each(fixtures)(
    '%s: the Overview has the numbers and the anomaly order `otpscope summary` prints',
    async (name) => {
      const c = connect();
      try {
        await c.bridge.load([input(name)]);
        const o = await c.bridge.views.overview();
        const cli = spawnSync(process.execPath, [path.join(root, 'bin/otpscope.mjs'), 'summary', path.join('test/fixtures/archives', name)], {
          cwd: root,
          encoding: 'utf8',
        });
        expect([cli.status, cli.stderr.split('\n').filter((l) => l !== '' && !/warning/.test(l))]).toEqual([0, []]);
        const out = cli.stdout;
        expect(out).toContain(`events: ${o.totals.events}, `);
        expect(out).toContain(`processes: ${o.totals.processes}, messages: ${o.totals.messages}, calls: ${o.totals.calls}, states: ${o.totals.states}`);
        for (const n of o.nodes) expect(out).toContain(`node ${n.node}: ${n.processes} processes, ${n.events} events`);
        expect(out).toContain(`anomalies: ${o.anomalies.total}`);
        const cliAnomalies = out
          .split('\n')
          .filter((l) => /^ {2}(error|warning|info) /.test(l))
          .map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '));
        expect(cliAnomalies).toEqual(o.anomalies.rows.map((a) => `${a.severity} ${a.kind}`));
      } finally {
        c.close();
      }
    },
    120_000,
  );

  test("the Expectations view's examples run unchanged in `otpscope check`", () => {
    const file = path.join(root, 'test/fixtures/examples.sql');
    expect(readFileSync(file, 'utf8')).toBe(EXAMPLE_EXPECTATIONS);
    const r = spawnSync(process.execPath, [path.join(root, 'bin/otpscope.mjs'), 'check', 'test/fixtures/archives/demo.zip', '--expect', file], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.stdout).toMatch(/^4 passed, 0 failed$/m);
    expect(r.status).toBe(0);
  }, 300_000);
});
