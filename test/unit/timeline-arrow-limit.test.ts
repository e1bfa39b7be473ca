import { beforeAll, describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { ORIGIN } from '../../src/engine/views/signal-origin';
import { traceSpan } from '../../src/engine/views/processes';
import { ARROW_LIMIT, timelineLanes, timelineTile, type Lane } from '../../src/engine/views/timeline';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/arrow_flood.exs: 16000 messages between a driver and 20 echo processes over the whole trace, and 40
// signals (an :EXIT and a :DOWN from each of 20 exits to a watcher): more message arrows than a tile holds.

describe('a Timeline tile with more arrows than it holds', () => {
  let engine: Engine;
  let lanes: Lane[];
  let t0: bigint;
  let len: number;
  const sql = async (q: string, max?: number) => engine.query(q, max);
  /** The whole trace's tile, all lanes, at `bucket` ns per column (arrows decimate to one per 4 buckets and lane pair). */
  const tile = (bucket: number) => timelineTile(sql, t0, len, lanes, { from: 0, to: lanes.length }, 0, len + 1, bucket);

  beforeAll(async () => {
    engine = await loadScenario('arrow-flood.zip');
    lanes = await timelineLanes(sql);
    const span = (await traceSpan(sql))!;
    t0 = span.start;
    len = Number(span.end - span.start);
  }, 120_000);

  // Regression test: past ARROW_LIMIT message arrows the tile silently left the later ones out (the signals have a
  // limit of their own since session 22): nothing told the view, which drew the gaps as quiet. Then it kept the
  // earliest ARROW_LIMIT, so a capped view drew arrows over its first part only: now an even stride over its time.
  test('keeps an even stride of the messages over the whole tile, every signal, and says how many it held', async () => {
    // 4 ns per arrow and pair of lanes: no two decimate into one (an exit's :EXIT and :DOWN come 672 ns apart or more)
    const t = (await tile(1)).arrows;
    const origins = [...t.origin];
    const sends = origins.filter((o) => o === ORIGIN.send).length;
    expect(sends).toBe(ARROW_LIMIT);
    expect(t.capped).toBe(true);
    // every signal, beside the capped messages
    const signalSeqs = [...t.recvSeq].filter((_, k) => t.origin[k] !== ORIGIN.send).sort((a, b) => a - b);
    expect(signalSeqs).toEqual(rows(engine, `SELECT recv_seq FROM signal_lines ORDER BY recv_seq`).map((r) => Number(r[0])));
    expect(signalSeqs.length).toBe(40);
    // the tile held every paired message (none decimate at 4 ns) and every signal
    const paired = engine.query(`SELECT send_seq FROM messages WHERE recv_seq IS NOT NULL AND send_seq IS NOT NULL ORDER BY sent_at, send_seq`, 100_000).rows;
    expect(paired.length).toBeGreaterThan(ARROW_LIMIT);
    expect(t.total).toBe(paired.length + 40);
    // the kept messages are an even stride of them in time order: between two kept, never more than
    // ceil(total / limit) - 1 left out, and the last kept is the last message
    const kept = new Set([...t.sendSeq].filter((s) => s >= 0));
    const step = Math.ceil(paired.length / ARROW_LIMIT);
    let gap = 0;
    let widest = 0;
    for (const [seq] of paired) {
      if (kept.has(Number(seq))) gap = 0;
      else widest = Math.max(widest, ++gap);
    }
    expect(widest).toBeLessThan(step);
    expect(kept.has(Number(paired[paired.length - 1][0]))).toBe(true);
    // so the drawn arrows reach over the whole trace: the last kept is sent in the trace's last tenth
    const lastKept = Math.max(...[...t.sent].filter((_, k) => t.origin[k] === ORIGIN.send));
    expect(lastKept).toBeGreaterThan(len * 0.9);
  }, 120_000);

  test('a tile that holds all its arrows says nothing was left out', async () => {
    // the whole trace at 40 columns: a few arrows per pair of lanes
    const few = (await tile((len + 1) / 40)).arrows;
    expect(few.count).toBeLessThan(ARROW_LIMIT);
    expect(few.capped).toBe(false);
    expect(few.total).toBe(few.count);
    expect([...few.origin].some((o) => o !== ORIGIN.send)).toBe(true);
  }, 120_000);
});
