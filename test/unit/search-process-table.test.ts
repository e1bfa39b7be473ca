import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngineApi } from '../../src/engine/api';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { Engine } from '../../src/engine/engine';

// The omnibox search and the process table (src/engine/views/search.ts, process-table.ts) on the
// recorder's demo archive, each checked against a slow, obvious reference computed in TypeScript
// from the raw tables.

const dir = path.resolve(__dirname, '../fixtures/archives');
const input = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) });

describe('search and the process table (demo.zip)', () => {
  const api = createEngineApi(async () => Engine.create(await openNodeDuckDb()));
  const rows = async (sql: string) => {
    const r = await api.console.run(sql, { maxRows: 1_000_000 });
    return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
  };

  beforeAll(async () => {
    const report = await api.load([input('demo.zip')]);
    expect(report.errors).toEqual([]);
  }, 120_000);
  afterAll(() => {});

  test('search finds every process and event whose text contains the query, case-insensitively, in trace order', async () => {
    for (const q of ['WorkerA', 'ping', '<0.139.0>', 'LOGGER']) {
      const got = await api.views.searchTrace(q);
      const lower = q.toLowerCase();
      const has = (v: unknown) => typeof v === 'string' && v.toLowerCase().includes(lower);
      const procs = (await rows('SELECT node, pid, name, initial_call, module FROM processes')).filter((p) =>
        ['pid', 'name', 'initial_call', 'module'].some((f) => has(p[f])),
      );
      const events = (await rows('SELECT seq, pid, peer, mfa, term FROM events')).filter((e) => ['pid', 'peer', 'mfa', 'term'].some((f) => has(e[f])));
      expect(got.total, q).toBe(procs.length + events.length);
      expect(got.total, q).toBeGreaterThan(0);
      expect(
        got.matches
          .filter((m) => m.kind === 'process')
          .map((m) => m.pid)
          .sort(),
        q,
      ).toEqual(procs.map((p) => p.pid).sort());
      const seqs = got.matches.filter((m) => m.seq !== null).map((m) => m.seq);
      expect(seqs, q).toEqual(events.map((e) => Number(e.seq)).sort((a, b) => a - b));
      for (const m of got.matches) expect(m.text.toLowerCase(), `${q}: ${m.field}`).toContain(lower);
    }
  });

  test('search names the field that matched and stops at the limit but counts everything', async () => {
    const all = await api.views.searchTrace('OtpscopeDemo.WorkerA');
    const byName = all.matches.find((m) => m.kind === 'process');
    expect(byName).toMatchObject({ pid: '<0.139.0>', field: 'name', seq: null });
    const few = await api.views.searchTrace('ping', 2);
    expect(few.matches).toHaveLength(2);
    expect(few.total).toBe((await api.views.searchTrace('ping')).total);
    expect(await api.views.searchTrace('   ')).toEqual({ matches: [], total: 0 });
    // Quotes in the query are text, not SQL.
    expect((await api.views.searchTrace("it's")).total).toBeGreaterThanOrEqual(0);
  });

  test('the process table has one row per process with counts that match the raw tables', async () => {
    const table = await api.views.processTable();
    const procs = await rows('SELECT node, pid FROM processes');
    expect(table).toHaveLength(procs.length);
    const messages = await rows('SELECT from_pid, to_pid FROM messages');
    const depth = await rows('SELECT pid, depth FROM mailbox_depth');
    const events = await rows('SELECT pid FROM events');
    for (const pid of ['<0.138.0>', '<0.139.0>', '<0.137.0>']) {
      const r = table.find((t) => t.pid === pid)!;
      expect(r.events).toBe(events.filter((e) => e.pid === pid).length);
      expect(r.messages_in).toBe(messages.filter((m) => m.to_pid === pid).length);
      expect(r.messages_out).toBe(messages.filter((m) => m.from_pid === pid).length);
      expect(r.mailbox_peak).toBe(Math.max(0, ...depth.filter((d) => d.pid === pid).map((d) => Number(d.depth))));
      expect(r.lifetime_ns).toBeGreaterThan(0n);
    }
    const a = table.find((t) => t.pid === '<0.139.0>')!;
    expect(a.name).toBe('OtpscopeDemo.WorkerA');
    expect(a.messages_in).toBe(7);
    expect(a.state_changes).toBeGreaterThan(0);
    // Busiest first.
    expect(table.map((t) => t.events)).toEqual([...table.map((t) => t.events)].sort((x, y) => y - x));
  });
});
