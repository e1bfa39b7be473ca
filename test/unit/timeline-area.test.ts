import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { createEngineApi } from '../../src/engine/api';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { Engine } from '../../src/engine/engine';

// The timeline's area selection table (src/engine/views/timeline.ts timelineAreaRows) on the recorder's
// demo archive, checked against a slow, obvious reference computed in TypeScript from the raw tables.

const dir = path.resolve(__dirname, '../fixtures/archives');
const input = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) });

describe('timeline area rows (demo.zip)', () => {
  const api = createEngineApi(async () => Engine.create(await openNodeDuckDb()));
  const rows = async (sql: string) => {
    const r = await api.console.run(sql, { maxRows: 1_000_000 });
    return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]]))) as Record<string, any>[];
  };
  let t0 = 0n;
  let len = 0;

  beforeAll(async () => {
    const report = await api.load([input('demo.zip')]);
    expect(report.errors).toEqual([]);
    const span = await api.views.traceSpan();
    t0 = span!.start;
    len = Number(span!.end - span!.start);
  }, 120_000);

  /** The slow reference: every span and message of the lanes, filtered in TypeScript. */
  async function reference(lanes: { node: string; pid: string }[], start: number, end: number) {
    // Absolute ns do not fit a double: subtract t0 exactly first.
    const rel = (t: unknown) => (t === null ? null : Number(BigInt(t as bigint) - t0));
    const num = (n: unknown) => (n === null ? null : Number(n));
    const inLanes = (node: unknown, pid: unknown) => lanes.some((l) => l.node === node && l.pid === pid);
    const names = new Map((await rows('SELECT node, pid, name FROM processes')).map((p) => [`${p.node}|${p.pid}`, p.name ?? null]));
    const spans = (await rows('SELECT * FROM spans'))
      // a call still open runs to the trace's end; a no_return call is an instant
      .map((s): Record<string, any> => ({
        ...s,
        rel: rel(s.started_at)!,
        stop: s.ended_at !== null ? rel(s.ended_at)! : s.outcome === 'no_return' ? rel(s.started_at)! : len,
      }))
      .filter((s) => inLanes(s.node, s.pid) && s.rel <= end && s.stop >= start);
    const slices = spans
      .map((s) => ({
        seq: num(s.call_seq)!,
        node: s.node,
        pid: s.pid,
        name: names.get(`${s.node}|${s.pid}`) ?? null,
        mfa: s.mfa ?? '',
        depth: num(s.depth),
        start: s.rel,
        duration: s.stop - s.rel,
        open: s.ended_at === null && s.outcome !== 'no_return',
        untraced: s.outcome === 'untraced',
        inDrop: s.outcome === 'in_drop',
        noReturn: s.outcome === 'no_return',
        count: spans.filter((o) => o.mfa === s.mfa).length,
      }))
      .sort((x, y) => x.start - y.start || x.seq - y.seq);
    const within = (t: number | null) => t !== null && t >= start && t <= end;
    const messages = (await rows('SELECT * FROM messages'))
      .filter((m) => (within(rel(m.sent_at)) && inLanes(m.from_node, m.from_pid)) || (within(rel(m.received_at)) && inLanes(m.to_node, m.to_pid)))
      .map((m) => ({
        sendSeq: num(m.send_seq),
        recvSeq: num(m.recv_seq),
        fromNode: m.from_node,
        fromPid: m.from_pid,
        fromName: names.get(`${m.from_node}|${m.from_pid}`) ?? null,
        toNode: m.to_node,
        toPid: m.to_pid,
        toName: names.get(`${m.to_node}|${m.to_pid}`) ?? null,
        msg: m.msg,
        sent: rel(m.sent_at),
        received: rel(m.received_at),
      }))
      .sort((x, y) => (x.sent ?? x.received!) - (y.sent ?? y.received!) || (x.sendSeq ?? x.recvSeq!) - (y.sendSeq ?? y.recvSeq!));
    return { slices, messages };
  }

  test('lists exactly the slices and messages of the lanes in the range, in time order', async () => {
    const lanes = await api.views.timelineLanes();
    const workerA = lanes.find((l) => l.name === 'OtpscopeDemo.WorkerA')!;
    const workerB = lanes.find((l) => l.name === 'OtpscopeDemo.WorkerB')!;
    const cases: [{ node: string; pid: string }[], number, number][] = [
      [lanes, 0, len],
      [[workerA], 0, len],
      [[workerB], Math.round(len / 3), Math.round((2 * len) / 3)],
      [[workerA, workerB], Math.round(len / 2), len],
    ];
    for (const [ls, start, end] of cases) {
      const got = await api.views.timelineAreaRows(t0, len, ls, start, end);
      const want = await reference(ls, start, end);
      expect(got.slices).toEqual(want.slices);
      expect(got.messages).toEqual(want.messages);
      expect(got.slicesTotal).toBe(want.slices.length);
      expect(got.messagesTotal).toBe(want.messages.length);
    }
    const all = await api.views.timelineAreaRows(t0, len, lanes, 0, len);
    expect(all.slices.length).toBeGreaterThan(3);
    expect(all.messages.length).toBeGreaterThan(3);
    expect(all.messages.some((m) => m.msg?.includes('hello from A #1'))).toBe(true);
  });

  test('stops at the limit but counts everything; no lanes, no rows', async () => {
    const lanes = await api.views.timelineLanes();
    const few = await api.views.timelineAreaRows(t0, len, lanes, 0, len, 2);
    const all = await api.views.timelineAreaRows(t0, len, lanes, 0, len);
    expect(few.slices).toEqual(all.slices.slice(0, 2));
    expect(few.messages).toEqual(all.messages.slice(0, 2));
    expect(few.slicesTotal).toBe(all.slices.length);
    expect(few.messagesTotal).toBe(all.messages.length);
    expect(await api.views.timelineAreaRows(t0, len, [], 0, len)).toEqual({ slices: [], messages: [], slicesTotal: 0, messagesTotal: 0 });
  });
});
