import { describe, expect, it } from 'vitest';
import { timelineLanes, timelineTile } from '../../src/engine/views/timeline';
import { sequenceRows } from '../../src/engine/views/sequence';
import { ORIGIN } from '../../src/engine/views/signal-origin';
import type { Engine } from '../../src/engine/engine';
import { loadScenario, rows } from './scenarios-load';

// Signals (messages the runtime makes: an :EXIT, a :DOWN; no send) drawn as lines, from their sender's exit, on the
// real recordings of test/scenarios/signals.exs (a supervisor's crashed child, links, monitors, a timer, nodes).
const sqlOf = (e: Engine) => async (q: string, n?: number) => e.query(q, n ?? 1_000_000);
const span = (e: Engine) => {
  const [[t0, t1]] = rows(e, 'SELECT min(ts), max(ts) FROM events');
  return { t0: BigInt(t0 as bigint), len: Number(BigInt(t1 as bigint) - BigInt(t0 as bigint)) };
};

/** An arrow as compared: receive seq, sender and receiver pids, start and end (ns since t0), send seq, origin. */
type Drawn = [number, string, string, number, number, number, number];

describe('signals drawn as lines', () => {
  for (const file of ['signals.zip', 'signals-otp27.zip'])
    // Regression test: a receive with no send had no arrow, so a supervisor's EXIT from its crashed child came from
    // nowhere on the timeline.
    it(`the timeline draws each signal whose sender has a lane from that sender's exit, and none for timers and nodes (${file})`, async () => {
      const e = await loadScenario(file);
      const { t0, len } = span(e);
      const lanes = await timelineLanes(sqlOf(e));
      const tile = await timelineTile(sqlOf(e), t0, len, lanes, { from: 0, to: lanes.length }, 0, len + 1, 1);
      const a = tile.arrows;
      const drawn = Array.from({ length: a.count }, (_, k) => k)
        .filter((k) => a.origin[k] !== ORIGIN.send)
        .map((k): Drawn => [a.recvSeq[k], lanes[a.fromLane[k]].pid, lanes[a.toLane[k]].pid, a.sent[k], a.recv[k], a.sendSeq[k], a.origin[k]])
        .sort((x, y) => x[0] - y[0]);
      // The slow, obvious reference: the sender's last exit event at or before the receive, else the receive.
      const want = rows(
        e,
        `SELECT m.recv_seq, m.from_pid, m.to_pid, x.ts, m.received_at
           FROM messages m
           LEFT JOIN (SELECT node, pid, max(ts) AS ts FROM events WHERE kind = 'exit' GROUP BY ALL) x
             ON x.node = m.from_node AND x.pid = m.from_pid AND x.ts <= m.received_at
          WHERE m.status = 'signal' AND EXISTS (SELECT 1 FROM events v WHERE v.node = m.from_node AND v.pid = m.from_pid)
          ORDER BY m.recv_seq`,
      ).map(([seq, from, to, exit, recv]): Drawn => [
        Number(seq),
        String(from),
        String(to),
        Number(BigInt((exit ?? recv) as bigint) - t0),
        Number(BigInt(recv as bigint) - t0),
        -1,
        exit === null ? ORIGIN.receive : ORIGIN.exit,
      ]);
      expect(want.length).toBeGreaterThanOrEqual(7);
      expect(drawn).toEqual(want);
      // The supervisor's EXIT from its crashed child starts at the child's exit.
      const [[crashRecv, childExit]] = rows(
        e,
        `SELECT m.recv_seq, x.ts FROM messages m JOIN events x ON x.kind = 'exit' AND x.node = m.from_node AND x.pid = m.from_pid
          WHERE m.status = 'signal' AND m.msg LIKE '{:EXIT, %RuntimeError%' ORDER BY m.recv_seq LIMIT 1`,
      );
      expect(drawn.find((d) => d[0] === Number(crashRecv))).toMatchObject({ 3: Number(BigInt(childExit as bigint) - t0), 6: ORIGIN.exit });
      // A timer's and the nodes' messages name no process: no arrow.
      const nameless = rows(e, `SELECT recv_seq FROM messages WHERE status = 'signal' AND from_pid IS NULL`).map(([s]) => Number(s));
      expect(nameless.length).toBeGreaterThanOrEqual(5);
      expect(drawn.filter((d) => nameless.includes(d[0]))).toEqual([]);
      // The messages' arrows are as before: one per message with both ends, at one-nanosecond buckets.
      const [[sent]] = rows(e, 'SELECT count(*)::INTEGER FROM messages WHERE send_seq IS NOT NULL AND recv_seq IS NOT NULL');
      expect(a.count - drawn.length).toBe(sent);
      expect(rows(e, `SELECT count(*)::INTEGER FROM messages WHERE send_seq IS NULL AND from_pid IS NOT NULL AND status <> 'signal'`)).toEqual([[0]]);
    }, 120_000);

  // Signals come from a table of their own (signal_lines), apart from the messages' scan: a tile must still draw each
  // signal whose line crosses it, and no other, whatever part of the trace and which lanes it covers.
  it.each(['signals.zip', 'signals-otp27.zip', 'crash-restart.zip'])(
    'a tile over part of the trace or of the lanes draws exactly the signals whose line it crosses (%s)',
    async (file) => {
      const e = await loadScenario(file);
      const { t0, len } = span(e);
      const lanes = await timelineLanes(sqlOf(e));
      const laneOf = new Map(lanes.map((l, i) => [`${l.node}|${l.pid}`, i]));
      // The slow, obvious reference: every signal naming a sender with a lane, from its sender's last exit at or
      // before its receive (else the receive), times since t0.
      const all = rows(
        e,
        `SELECT m.recv_seq, m.from_node, m.from_pid, m.to_node, m.to_pid, x.ts, m.received_at
           FROM messages m
           LEFT JOIN (SELECT node, pid, max(ts) AS ts FROM events WHERE kind = 'exit' GROUP BY ALL) x
             ON x.node = m.from_node AND x.pid = m.from_pid AND x.ts <= m.received_at
          WHERE m.status = 'signal' ORDER BY m.recv_seq`,
      ).flatMap(([seq, fn, fp, tn, tp, exit, recv]) => {
        const from = laneOf.get(`${fn}|${fp}`);
        const to = laneOf.get(`${tn}|${tp}`);
        if (from === undefined || to === undefined) return [];
        const at = Number(BigInt((exit ?? recv) as bigint) - t0);
        return [{ seq: Number(seq), from, to, at, recv: Number(BigInt(recv as bigint) - t0), origin: exit === null ? ORIGIN.receive : ORIGIN.exit }];
      });
      expect(all.length).toBeGreaterThanOrEqual(3);
      // Windows that hold a signal's start only, its receive only, end just before its start, begin just after its
      // receive, and the trace's halves; over every lane, and over each half of the lanes.
      const windows = [
        [0, Math.floor(len / 2)],
        [Math.floor(len / 2), len + 1],
      ];
      for (const s of all) windows.push([s.at, s.at + 1], [s.recv, s.recv + 1], [0, s.at], [s.recv + 1, len + 1]);
      const half = Math.ceil(lanes.length / 2);
      const ranges = [
        { from: 0, to: lanes.length },
        { from: 0, to: half },
        { from: half, to: lanes.length },
      ];
      let drawn = 0;
      for (const range of ranges)
        for (const [start, end] of windows) {
          if (end <= start) continue;
          const tile = await timelineTile(sqlOf(e), t0, len, lanes.slice(range.from, range.to), range, start, end, 1);
          const a = tile.arrows;
          const got = Array.from({ length: a.count }, (_, k) => k)
            .filter((k) => a.origin[k] !== ORIGIN.send)
            .map((k) => ({ seq: a.recvSeq[k], from: a.fromLane[k], to: a.toLane[k], at: a.sent[k], recv: a.recv[k], origin: a.origin[k] }))
            .sort((x, y) => x.seq - y.seq);
          const want = all.filter((s) => s.from >= range.from && s.from < range.to && s.to >= range.from && s.to < range.to && s.at < end && s.recv >= start);
          expect({ range, start, end, got }).toEqual({ range, start, end, got: want });
          drawn += got.length;
        }
      expect(drawn).toBeGreaterThan(all.length);
    },
    120_000,
  );

  // The views draw signals from signal_lines (status signal) and the messages' arrows from sends: a receive with no
  // send that names its sender and is not a signal would be drawn by neither (checked above on the signals'
  // recordings too).
  it.each(['crash-restart.zip', 'gen-statem.zip'])(
    'only a signal is a receive with no send that names its sender (%s)',
    async (file) => {
      const e = await loadScenario(file);
      expect(rows(e, `SELECT count(*)::INTEGER FROM messages WHERE send_seq IS NULL AND from_pid IS NOT NULL AND status <> 'signal'`)).toEqual([[0]]);
    },
    120_000,
  );

  it("the sequence diagram draws the supervisor's EXIT as a signal from its child's exit, after that exit (signals.zip)", async () => {
    const e = await loadScenario('signals.zip');
    const { t0 } = span(e);
    const [[child, sup, recv, exitSeq, exitTs, receivedAt]] = rows(
      e,
      `SELECT m.from_pid, m.to_pid, m.recv_seq, x.seq, x.ts, m.received_at FROM messages m
         JOIN events x ON x.kind = 'exit' AND x.node = m.from_node AND x.pid = m.from_pid
        WHERE m.status = 'signal' AND m.msg LIKE '{:EXIT, %RuntimeError%' ORDER BY m.recv_seq LIMIT 1`,
    );
    const node = String(rows(e, 'SELECT any_value(node) FROM events')[0][0]);
    const { rows: seq } = await sequenceRows(
      sqlOf(e),
      t0,
      [
        { node, pid: String(sup) },
        { node, pid: String(child) },
      ],
      null,
    );
    const i = seq.findIndex((r) => r.type === 'message' && r.recvSeq === Number(recv));
    expect(seq[i]).toMatchObject({
      type: 'message',
      role: 'signal',
      from: 1,
      to: 0,
      sendSeq: null,
      t: Number(BigInt(exitTs as bigint) - t0),
      receivedAt: Number(BigInt(receivedAt as bigint) - t0),
    });
    expect(seq[i - 1]).toMatchObject({ type: 'exit', at: 1, seq: Number(exitSeq) });
    // Messages the two sent each other stay messages.
    expect(seq.filter((r) => r.type === 'message' && r.sendSeq !== null).every((r) => r.type === 'message' && r.role !== 'signal')).toBe(true);
  }, 120_000);
});
