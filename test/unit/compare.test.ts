import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { Comparison } from '../../src/engine/compare/comparison';
import { shapeOf } from '../../src/engine/compare/shape';
import { compileCompareExpectation } from '../../src/engine/compare/expect';
import { runExpectations } from '../../src/engine/analyses/expectations';
import { compareMatches, compareTables, type CompareTables } from '../../src/engine/views/compare';
import { main } from '../../src/cli/main';

// The same scenario (test/scenarios/compare_runs.exs) recorded three times by the real recorder: the baseline,
// the baseline again, and after three deliberate changes (a slower Scn.Price callback, an extra {:audit, _, _}
// message from Scn.Cart to Scn.Audit, a crash of the second Scn.Worker on job 3, restarted by Scn.Sup).
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/scenarios/${name}`, import.meta.url));
const input = (name: string) => [{ name, bytes: new Uint8Array(readFileSync(fixture(name))) }];

async function compare(a: string, b: string): Promise<{ engine: Engine; comparison: Comparison; tables: CompareTables }> {
  const db = await openNodeDuckDb();
  const engine = await Engine.create(db);
  expect((await engine.load(input(a))).errors).toEqual([]);
  const comparison = new Comparison(db);
  expect((await comparison.load(input(b))).errors).toEqual([]);
  const tables = await compareTables((sql, max) => engine.query(sql, max));
  return { engine, comparison, tables };
}

const pick = <T extends object, K extends keyof T>(rows: T[], ...keys: K[]) => rows.map((r) => keys.map((k) => r[k]));

describe('compare: before and after three deliberate changes', () => {
  let c: Awaited<ReturnType<typeof compare>>;
  beforeAll(async () => {
    c = await compare('compare-before.zip', 'compare-after.zip');
  }, 300_000);

  it('calls: only the slowed callback is slower; the unchanged groups are not reported', () => {
    expect(pick(c.tables.calls, 'callee', 'shape', 'n_a', 'n_b', 'change')).toEqual([['Scn.Price', '{:quote, _}', 6, 6, 'slower']]);
    const price = c.tables.calls[0];
    expect(price.p95_b!).toBeGreaterThanOrEqual(40e6); // the 40 ms sleep
    expect(price.p95_ratio!).toBeGreaterThan(1.5);
  });

  it('messages: the extra message is a new shape; the crash adds its EXIT, code loading and the restart ack; nothing else', () => {
    expect(pick(c.tables.messages, 'sender', 'receiver', 'shape', 'n_a', 'n_b', 'change')).toEqual([
      ['Scn.Cart', 'Scn.Audit', '{:audit, _, _}', 0, 6, 'new'],
      ['(not traced)', 'Scn.Worker', '{:code_server, {:module, _}}', 0, 1, 'new'],
      ['Scn.Worker', ':code_server', '{:code_call, _, {:ensure_loaded, _}}', 0, 1, 'new'],
      // the supervisor's EXIT is a signal from the worker that crashed
      ['Scn.Worker', 'Scn.Sup', '{:EXIT, _, {%RuntimeError{}, _}}', 0, 1, 'new'],
      ['Scn.Worker', 'Scn.Sup', '{:ack, _, {:ok, _}}', 2, 3, 'more'],
    ]);
  });

  it('processes: one more Scn.Worker spawned, exited and crashed; one restart under Scn.Sup; the restarted worker is new in B', () => {
    expect(pick(c.tables.processes, 'role', 'procs_a', 'procs_b', 'crashed_a', 'crashed_b', 'change')).toEqual([
      ['Scn.Worker', 2, 3, 0, 1, 'count, spawned, exited, crashed'],
    ]);
    expect(pick(c.tables.restarts, 'supervisor', 'child', 'restarts_a', 'restarts_b')).toEqual([['Scn.Sup', 'Scn.Worker', 0, 1]]);
    expect(pick(c.tables.unmatched, 'role', 'parent_role', 'ordinal', 'a_pid')).toEqual([['Scn.Worker', 'Scn.Sup', 3, null]]);
    expect(c.tables.mailbox).toEqual([]);
  });

  it('anomalies: the crash, and the slowed call and callback, are new in B', () => {
    expect(pick(c.tables.anomalies, 'kind', 'n_a', 'n_b', 'change')).toEqual([
      ['crash', 0, 1, 'new'],
      ['slow_call', 0, 1, 'new'],
      ['slow_callback', 0, 1, 'new'],
    ]);
  });

  it('states: Audit diverges at its first extra message, the supervisor at the EXIT, the crashed worker at job 3', () => {
    expect(pick(c.tables.states, 'role', 'ordinal', 'first_diff', 'callback_a', 'callback_b', 'message_a', 'message_b', 'change', 'diff')).toEqual([
      ['Scn.Audit', 1, 3, 'handle_cast', 'handle_info', '{:log, :pear}', '{:audit, :apple, 2}', 'differs', '.audits: 0 -> 1; .logs: 2 -> 1'],
      [
        'Scn.Sup',
        1,
        8,
        'handle_call',
        'handle_info',
        ':which_children',
        expect.stringMatching(/^\{:EXIT, #PID<[\d.]+>, \{%RuntimeError\{/),
        'differs',
        expect.any(String),
      ],
      ['Scn.Worker', 2, 4, 'handle_cast', null, '{:job, 3}', null, 'only in A', null],
    ]);
  });

  it('evidence: every changed row points at events of its own recording', async () => {
    const q = (sql: string) => c.engine.query(sql).rows;
    const slowest = c.tables.calls[0];
    expect(q(`SELECT kind, peer FROM main.events WHERE seq = ${slowest.a_seq}`)).toEqual([['send', expect.stringMatching(/^<0\./)]]);
    expect(c.comparison.engineB.query(`SELECT term FROM events WHERE seq = ${slowest.b_seq}`).rows[0][0]).toMatch(/\{:quote, :\w+\}\}$/);
    const audit = c.tables.messages[0];
    expect(c.comparison.engineB.query(`SELECT kind, term FROM events WHERE seq = ${audit.b_seq}`).rows).toEqual([['send', '{:audit, :apple, 2}']]);
  });

  it('a corrected match is kept and rebuilds the tables', async () => {
    const sql = (s: string, max?: number) => c.engine.query(s, max);
    const workers = (await compareMatches(sql)).filter((m) => m.role === 'Scn.Worker' && m.a_pid !== null && m.b_pid !== null);
    expect(workers.map((w) => w.how)).toEqual(['position', 'position']);
    // pair A's first worker with B's second, as a user correcting the matching would
    c.comparison.setMatch({ node: workers[0].a_node!, pid: workers[0].a_pid! }, { node: workers[1].b_node!, pid: workers[1].b_pid! });
    const after = await compareMatches(sql);
    expect(after.filter((m) => m.how === 'manual').map((m) => [m.a_pid, m.b_pid])).toEqual([[workers[0].a_pid, workers[1].b_pid]]);
    // the two processes they were paired with now have no counterpart
    expect(after.filter((m) => m.how === null && m.role === 'Scn.Worker').map((m) => m.a_pid ?? m.b_pid)).toEqual(
      expect.arrayContaining([workers[1].a_pid, workers[0].b_pid]),
    );
    const states = (await compareTables(sql)).states.filter((s) => s.a_pid === workers[0].a_pid);
    expect(states.map((s) => s.diff)).toEqual(['.id: :w1 -> :w2']);
    c.comparison.resetMatches();
    expect((await compareMatches(sql)).filter((m) => m.how === 'manual')).toEqual([]);
  });

  it('anomaly thresholds apply to both recordings: a new threshold is not a difference', async () => {
    const sql = (q: string, max?: number) => c.engine.query(q, max);
    c.engine.setParams({ slow_callback_floor_ms: 1000 });
    c.comparison.setParams({ slow_callback_floor_ms: 1000 });
    expect((await compareTables(sql)).anomalies.map((r) => r.kind)).toEqual(['crash', 'slow_call']);
    expect(c.engine.query(`SELECT value FROM b.params WHERE name = 'slow_callback_floor_ms'`).rows).toEqual([[1000]]);
    c.engine.setParams({ slow_callback_floor_ms: 5 });
    c.comparison.setParams({ slow_callback_floor_ms: 5 });
    expect((await compareTables(sql)).anomalies.map((r) => r.kind)).toEqual(['crash', 'slow_call', 'slow_callback']);
  });

  it("'p95 ratio < 1.5' fails on the slowed call only; the crash fails 'crashes delta <= 0'", async () => {
    const results = await runExpectations(['p95 ratio < 1.5', 'crashes delta <= 0', 'messages delta >= 0'].map(compileCompareExpectation), (sql, max) =>
      c.engine.query(sql, max),
    );
    expect(results.map((r) => [r.name, r.passed, r.failures])).toEqual([
      ['p95 ratio < 1.5', false, 1],
      ['crashes delta <= 0', false, 1],
      ['messages delta >= 0', true, 0],
    ]);
    expect(results[0].first).toMatchObject({ callee: 'Scn.Price', shape: '{:quote, _}' });
  });
});

describe('compare: the same scenario twice', () => {
  it('reports nothing, although every pid of the scenario differs between the runs', async () => {
    const c = await compare('compare-before.zip', 'compare-before-again.zip');
    for (const [name, rows] of Object.entries(c.tables)) expect([name, rows]).toEqual([name, []]);
    const sql = (s: string, max?: number) => c.engine.query(s, max);
    const scn = (await compareMatches(sql)).filter((m) => m.role.startsWith('Scn.'));
    expect(scn.map((m) => [m.role, m.ordinal, m.how])).toEqual([
      ['Scn.Audit', 1, 'name'],
      ['Scn.Cart', 1, 'name'],
      ['Scn.Price', 1, 'name'],
      ['Scn.Sup', 1, 'name'],
      ['Scn.Worker', 1, 'position'],
      ['Scn.Worker', 2, 'position'],
    ]);
    for (const m of scn) expect(m.a_pid).not.toBe(m.b_pid);
    // Cart's state holds its caller's pid: elided, so it is the same state in both
    expect(c.engine.query(`SELECT count(*) FROM b.states WHERE state LIKE '%owner: #PID<%'`).rows[0][0]).toBeGreaterThan(0);
    // A's own tables are untouched by B
    expect(c.engine.query(`SELECT count(*) FROM events`).rows).toEqual(c.engine.query(`SELECT count(*) FROM main.events`).rows);
    expect(c.engine.query(`SELECT count(*) FROM processes WHERE pid IN (SELECT pid FROM b.processes WHERE name = 'Scn.Cart')`).rows).toEqual([[0]]);
  }, 300_000);

  it("passes 'p95 ratio < 1.5' (microsecond jitter below 1 ms is not a ratio)", async () => {
    const c = await compare('compare-before.zip', 'compare-before-again.zip');
    const [r] = await runExpectations([compileCompareExpectation('p95 ratio < 1.5')], (sql, max) => c.engine.query(sql, max));
    expect(r.passed).toBe(true);
  }, 300_000);
});

describe('compare: thresholds', () => {
  it("B is judged by A's anomaly thresholds from the moment it loads", async () => {
    const db = await openNodeDuckDb();
    const engine = await Engine.create(db);
    await engine.load(input('compare-before.zip'));
    engine.setParams({ slow_callback_floor_ms: 1000, slow_call_floor_ms: 1000 });
    const comparison = new Comparison(db);
    await comparison.load(input('compare-after.zip'));
    expect(engine.query(`SELECT name, value FROM b.params WHERE name LIKE 'slow_%floor_ms' ORDER BY name`).rows).toEqual([
      ['slow_call_floor_ms', 1000],
      ['slow_callback_floor_ms', 1000],
    ]);
    expect((await compareTables((q, max) => engine.query(q, max))).anomalies.map((r) => r.kind)).toEqual(['crash']);
  }, 300_000);
});

describe('shapes and expectations', () => {
  it('elides the variable parts of a term, keeping tags and GenServer envelopes', () => {
    expect(shapeOf('{:audit, :apple, 2}')).toBe('{:audit, _, _}');
    expect(shapeOf(':total')).toBe(':total');
    expect(shapeOf('{:"$gen_call", {#PID<0.1.0>, [:alias | #Reference<0.1.2.3>]}, {:add, :apple, 2}}')).toBe('{:"$gen_call", _, {:add, _, _}}');
    expect(shapeOf('{:"$gen_cast", :flush}')).toBe('{:"$gen_cast", :flush}');
    expect(shapeOf('{:EXIT, #PID<0.4.0>, {%RuntimeError{message: "x"}, []}}')).toBe('{:EXIT, _, {%RuntimeError{}, _}}');
    expect(shapeOf('"text"')).toBe('_');
    expect(shapeOf('%{a: 1}')).toBe('_');
  });

  it('refuses an expectation it cannot read, naming what is wrong', () => {
    expect(() => compileCompareExpectation('p95 < 1.5')).toThrow(/unknown metric "p95"; known: p50 ratio, p95 ratio/);
    expect(() => compileCompareExpectation('p95 ratio is small')).toThrow(/expected METRIC OP NUMBER/);
  });
});

describe('otpscope compare', () => {
  async function run(...args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void (out += s + '\n'));
    try {
      return { code: await main(['compare', ...args]), out };
    } finally {
      write.mockRestore();
      log.mockRestore();
    }
  }

  it('exits 1 when an expectation fails, 0 when it holds, 2 on bad usage', async () => {
    const failed = await run(fixture('compare-before.zip'), fixture('compare-after.zip'), '--expect', 'p95 ratio < 1.5');
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/^FAIL {2}p95 ratio < 1\.5 \(--expect\): 1 counter-example$/m);
    expect(failed.out).toMatch(/^Scn\.Price +│ \{:quote, _\} +│ slower +│ 6 → 6 /m);
    const held = await run(fixture('compare-before.zip'), fixture('compare-before-again.zip'), '--expect', 'p95 ratio < 1.5');
    expect(held.code).toBe(0);
    expect(held.out).toMatch(/^Calls per callee and request: no call group changed\.$/m);
    expect(held.out).toMatch(/^PASS {2}p95 ratio < 1\.5$/m);
    // an expectations file over the compare tables, named with its line when it fails
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'otpscope-compare-')), 'checks.sql');
    writeFileSync(file, "-- check: nothing new to Audit\nSELECT sender, shape, a_seq FROM compare_messages WHERE receiver = 'Scn.Audit' AND change = 'new';\n");
    const fromFile = await run(fixture('compare-before.zip'), fixture('compare-after.zip'), '--expect', file);
    expect(fromFile.code).toBe(1);
    expect(fromFile.out).toContain(`FAIL  nothing new to Audit (${file}:1): 1 counter-example\n      first: sender=Scn.Cart shape={:audit, _, _} a_seq=NULL`);
    expect((await run(fixture('compare-before.zip'))).code).toBe(2);
    expect((await run(fixture('compare-before.zip'), fixture('compare-after.zip'), '--expect', 'p95 is fine')).code).toBe(2);
  }, 180_000);

  it('--json gives the same rows as the engine', async () => {
    const { code, out } = await run(fixture('compare-before.zip'), fixture('compare-after.zip'), '--json');
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { tables: CompareTables };
    const c = await compare('compare-before.zip', 'compare-after.zip');
    expect(parsed.tables).toEqual(JSON.parse(JSON.stringify(c.tables)));
  }, 180_000);
});
