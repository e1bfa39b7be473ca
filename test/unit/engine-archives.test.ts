import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { Engine, type LoadProgress } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';

// The recorder's fixture archives (dump_tool/scripts/gen_fixtures.exs) loaded
// through the real engine (DuckDB-WASM's Node build), compared with the facts
// the Elixir side computed from the same files.

const dir = path.resolve(__dirname, '../fixtures/archives');
const input = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) });

interface Expected {
  events_total: number;
  events_by_kind: Record<string, number>;
  events_dropped: number;
  drops: { count: number; reason: string }[];
  first_events: { kind: string; pid: string; peer: string | null; mfa: string | null; term: string | null }[];
  states: Record<string, string[]>;
  chunks: number;
}
const expected = (name: string): Expected => JSON.parse(readFileSync(path.join(dir, name.replace('.zip', '.expected.json')), 'utf8'));

/** `{:mod, :fun, 2}` (the recorder's ground truth) to the schema's `:mod.fun/2` / `Mod.fun/2`. */
function mfaText(tuple: string | null): string | null {
  if (tuple === null) return null;
  const m = /^\{(.+), :?"?([^",]+)"?, (\d+)\}$/.exec(tuple);
  if (!m) throw new Error(`unexpected mfa ${tuple}`);
  return `${m[1]}.${m[2]}/${m[3]}`;
}

async function freshEngine() {
  return Engine.create(await openNodeDuckDb());
}

describe.each(['demo.zip', 'demo-v1.zip', 'crash.zip', 'statem.zip', 'calltrace.zip', 'flood.zip', 'truncated.zip'])('archive %s', (name) => {
  let engine: Engine;
  const exp = expected(name);
  beforeAll(async () => {
    engine = await freshEngine();
    const report = await engine.load([input(name)]);
    expect(report.errors).toEqual([]);
    expect(report.sources).toHaveLength(1);
  });

  test('every recorded event is loaded, by kind', () => {
    const rows = engine.query(`SELECT kind, count(*)::INTEGER FROM events WHERE kind <> 'drop' GROUP BY kind ORDER BY kind`).rows;
    expect(Object.fromEntries(rows)).toEqual(exp.events_by_kind);
    expect(engine.query(`SELECT count(*)::INTEGER FROM events WHERE kind <> 'drop'`).rows[0][0]).toBe(exp.events_total);
  });

  test('events come out in the recorder order with the exact terms', () => {
    const rows = engine.query(`SELECT kind, pid, peer, mfa, term FROM events WHERE kind <> 'drop' ORDER BY seq LIMIT ${exp.first_events.length}`).rows;
    const want = exp.first_events.map((e) => [e.kind, e.pid, e.peer === null ? null : e.peer.replace(/^#PID/, ''), mfaText(e.mfa), e.term]);
    // A local fun's name (`in file:x.exs`, `in Mod.fun/1`) comes from the live module's fun table,
    // which the external term format does not carry: offline renderings show index/uniq/arity only.
    const funs = (x: unknown) => (typeof x === 'string' ? x.replace(/#Function<[^>]*>/g, '#Function<…>') : x);
    expect(rows.map((r) => r.map(funs))).toEqual(want.map((r) => r.map(funs)));
  });

  test('GenServer states are reconstructed in order', () => {
    for (const [proc, states] of Object.entries(exp.states)) {
      const rows = engine.query(`SELECT s.state FROM states s JOIN processes p USING (node, pid) WHERE p.name = '${proc}' ORDER BY s.seq`).rows;
      expect(rows.map((r) => r[0])).toEqual(states);
    }
  });

  test('drops are counted as in the archive', () => {
    const dropped = engine.query(`SELECT coalesce(sum(CAST(regexp_extract(term, '^\\{(\\d+),', 1) AS BIGINT)), 0)::BIGINT FROM events WHERE kind = 'drop'`)
      .rows[0][0];
    expect(dropped).toBe(exp.drops.reduce((n, d) => n + d.count, 0));
  });
});

describe('the demo archive', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine();
    await engine.load([input('demo.zip')]);
  });

  test('WorkerA calls WorkerB three times and every call gets :ok', () => {
    const rows = engine.query(`
      SELECT request, reply, outcome FROM calls c
      JOIN processes a ON a.node = c.caller_node AND a.pid = c.caller_pid
      JOIN processes b ON b.node = c.callee_node AND b.pid = c.callee_pid
      WHERE a.name = 'OtpscopeDemo.WorkerA' AND b.name = 'OtpscopeDemo.WorkerB' ORDER BY call_seq`).rows;
    expect(rows.map((r) => [String(r[0]).replace(/#PID<[^>]+>/, 'PID'), r[1], r[2]])).toEqual([
      ['{:ping, PID, "hello from A #1"}', ':ok', 'reply'],
      ['{:ping, PID, "hello from A #2"}', ':ok', 'reply'],
      ['{:ping, PID, "hello from A #3"}', ':ok', 'reply'],
    ]);
  });

  test('function names that are not identifiers are quoted the way Elixir writes a remote call', () => {
    // Exception.format_mfa(:supervisor, Supervisor.Default, 1) and a local fun's generated name, as Elixir 1.14 prints them
    const rows = engine.query(`SELECT pid, initial_call FROM processes WHERE initial_call LIKE '%"%' ORDER BY pid`).rows;
    expect(rows).toEqual([
      ['<0.102.0>', ':supervisor."Elixir.Supervisor.Default"/1'],
      ['<0.104.0>', 'Mix.TasksServer."-start_link/1-fun-0-"/0'],
      ['<0.137.0>', ':supervisor."Elixir.Supervisor.Default"/1'],
    ]);
  });

  // Regression test: the demo's supervisor, whose traced callbacks are :supervisor's own, read as module :supervisor.
  test("a supervisor's module is its callback module, as observer shows it", () => {
    expect(engine.query(`SELECT name, module FROM processes WHERE pid = '<0.137.0>'`).rows).toEqual([['OtpscopeDemo.Supervisor', 'Supervisor.Default']]);
    expect(engine.query(`SELECT count(*)::INTEGER FROM processes WHERE module = ':supervisor'`).rows).toEqual([[0]]);
  });

  test('every send between the workers pairs with its receive', () => {
    const rows = engine.query(`
      SELECT m.status, count(*)::INTEGER FROM messages m
      JOIN processes a ON a.node = m.from_node AND a.pid = m.from_pid
      JOIN processes b ON b.node = m.to_node AND b.pid = m.to_pid
      WHERE a.name LIKE 'OtpscopeDemo.Worker%' AND b.name LIKE 'OtpscopeDemo.Worker%' GROUP BY ALL`).rows;
    expect(rows).toEqual([['received', 6]]);
  });

  test('the recorded supervision trees are a table, and the demo app appears in the one at stop', () => {
    // The demo application starts during the recording: OtpscopeDemo.Supervisor over WorkerB and WorkerA (app.ex).
    const rows = engine.query(`
      SELECT s.snapshot, s.depth, s.child_id, s.type, s.status, p.name, sup.name
      FROM supervision s JOIN processes p ON p.node = s.node AND p.pid = s.pid
      LEFT JOIN processes sup ON sup.node = s.node AND sup.pid = s.supervisor
      WHERE s.application = ':otpscope_demo' ORDER BY s.snapshot, s.depth, s.child_id`).rows;
    expect(rows).toEqual([
      ['stop', 0, null, 'supervisor', 'running', 'OtpscopeDemo.Supervisor', null],
      ['stop', 1, 'OtpscopeDemo.WorkerA', 'worker', 'running', 'OtpscopeDemo.WorkerA', 'OtpscopeDemo.Supervisor'],
      ['stop', 1, 'OtpscopeDemo.WorkerB', 'worker', 'running', 'OtpscopeDemo.WorkerB', 'OtpscopeDemo.Supervisor'],
    ]);
    // Applications running at start are in both snapshots; kernel's top supervisor is :kernel_sup.
    const kernel = engine.query(
      `SELECT DISTINCT p.name FROM supervision s JOIN processes p USING (node, pid) WHERE s.application = ':kernel' AND s.depth = 0`,
    ).rows;
    expect(kernel).toEqual([[':kernel_sup']]);
    const at = engine.query(`
      SELECT t.application, t.child_id, t.is_supervisor, par.name FROM tree_at((SELECT max(ts) FROM events)) t
      JOIN processes par ON par.node = t.node AND par.pid = t.parent_pid
      WHERE t.name = 'OtpscopeDemo.WorkerA'`).rows;
    expect(at).toEqual([[':otpscope_demo', 'OtpscopeDemo.WorkerA', false, 'OtpscopeDemo.Supervisor']]);
    expect(engine.query(`SELECT child_type FROM processes WHERE name = 'OtpscopeDemo.Supervisor'`).rows).toEqual([['supervisor']]);
  });

  test('meta holds the manifest and totals', () => {
    const kv = Object.fromEntries(engine.query(`SELECT key, value FROM meta`).rows);
    expect(kv.format).toBe('otpscope');
    expect(kv.format_version).toBe('2');
    expect(kv['totals.stop_reason']).toBe('stop');
  });
});

describe('progress', () => {
  test('a load reports bytes while reading, then each analysis table it builds, then done', async () => {
    const engine = await freshEngine();
    const seen: LoadProgress[] = [];
    await engine.load([input('demo.zip'), input('crash.zip')], (p) => seen.push(structuredClone(p)));
    const phases = seen.map((p) => p.phase);
    expect(phases.at(-1)).toBe('done');
    expect(phases.indexOf('analysing')).toBeGreaterThan(phases.lastIndexOf('ingesting'));
    const reading = seen.filter((p) => p.phase === 'ingesting');
    for (let i = 1; i < reading.length; i++) expect(reading[i].bytesRead).toBeGreaterThanOrEqual(reading[i - 1].bytesRead);
    expect(reading.at(-1)!.bytesRead).toBeLessThanOrEqual(reading.at(-1)!.bytesTotal);
    expect(seen.find((p) => p.phase === 'analysing')!.bytesRead).toBe(reading[0].bytesTotal);
    const steps = seen.filter((p) => p.step).map((p) => p.step!);
    // \`index\` counts the statements run before this one; a small load runs a step's statements as one query, so
    // it may step by more than one, always up and below the statements in all (\`count\`, the same throughout).
    expect(steps[0].index).toBe(0);
    for (let i = 1; i < steps.length; i++) expect(steps[i].index).toBeGreaterThan(steps[i - 1].index);
    expect(new Set(steps.map((s) => s.count))).toEqual(new Set([steps[0].count]));
    expect(steps.at(-1)!.index).toBeLessThan(steps[0].count);
    expect(steps[0].count).toBeGreaterThan(steps.length);
    for (const table of ['processes', 'messages', 'calls', 'spans', 'states', 'mailbox_depth', 'causal_links', 'anomalies'])
      expect(steps.map((s) => s.name)).toContain(table);
  });
});

describe('loading several files and bad input', () => {
  test('two archives load into one timeline, and a bad file is reported without losing them', async () => {
    const engine = await freshEngine();
    const bad = { name: 'notes.txt', bytes: new TextEncoder().encode('hello, not a trace') };
    const report = await engine.load([input('demo.zip'), input('statem.zip'), bad]);
    expect(report.sources.map((s) => s.name)).toEqual(['demo.zip', 'statem.zip']);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0].file).toBe('notes.txt');
    expect(report.errors[0].message).toMatch(/notes\.txt: at offset 0: not a trace/);
    const n = engine.query(`SELECT count(DISTINCT src)::INTEGER, count(*)::INTEGER FROM events`).rows[0];
    expect(n).toEqual([2, expected('demo.zip').events_total + expected('statem.zip').events_total]);
    const seqs = engine.query(`SELECT min(seq)::INTEGER, max(seq)::INTEGER, count(DISTINCT seq)::INTEGER FROM events`).rows[0];
    expect(seqs).toEqual([0, Number(n[1]) - 1, n[1]]);
  });

  test("a folder's stray files are skipped with a notice; a damaged trace in it, or a folder of no traces, is an error", async () => {
    const engine = await freshEngine();
    const inFolder = (name: string, bytes: Uint8Array) => ({ name: `rec/${name}`, bytes });
    const demo = input('demo.zip');
    const cut = inFolder('b@h.zip', demo.bytes.subarray(0, 200));
    const report = await engine.load([inFolder('a@h.zip', demo.bytes), inFolder('NOTES.txt', new TextEncoder().encode('see the issue')), cut]);
    expect(report.sources.map((s) => s.name)).toEqual(['rec/a@h.zip']);
    expect(report.warnings).toContain('rec/NOTES.txt: skipped, not a trace file');
    expect(report.errors.map((e) => e.file)).toEqual(['rec/b@h.zip']);
    const only = await (await freshEngine()).load([inFolder('NOTES.txt', new TextEncoder().encode('see the issue'))]);
    expect(only.errors.map((e) => e.file)).toEqual(['rec/NOTES.txt']);
  });

  test('a corrupt chunk names the file and entry offset, and earlier loads stay', async () => {
    const engine = await freshEngine();
    await engine.load([input('demo.zip')]);
    const before = engine.query(`SELECT count(*)::INTEGER FROM events`).rows[0][0];
    const bytes = input('demo.zip').bytes.slice();
    // Flip bytes inside the first event chunk's compressed data: its CRC no longer matches.
    const at = Buffer.from(bytes).indexOf('events/000000.etf');
    for (let i = at + 40; i < at + 60; i++) bytes[i] ^= 0xff;
    const report = await engine.load([{ name: 'damaged.zip', bytes }]);
    expect(report.sources).toEqual([]);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0].message).toMatch(/^damaged\.zip: at offset \d+: /);
    expect(report.errors[0].offset).toBeGreaterThan(0);
    expect(engine.query(`SELECT count(*)::INTEGER FROM events`).rows[0][0]).toBe(before);
  });
});
