/**
 * A flame chart of one process (the Firefox Profiler's stack chart, one
 * thread of Perfetto): each traced call of the process is a slice at its
 * stack depth, from the engine's `spans` (docs/SCHEMA.md). A call still open
 * when the trace ended reaches the trace's end.
 *
 * The answer stays small at any zoom (decimated to the pixel, as Perfetto
 * does): of the calls overlapping the window at one depth that start within
 * the same pixel, only the longest comes back, and the others are counted, so
 * a process with a million calls draws what the eye can see, and a burst of
 * short calls still shows where it happened.
 */
import { readOne, readRows, sqlInt, sqlString, type RowOf, type Sql } from './rows';
import type { ProcessRef } from './state';

const SLICE = {
  call_seq: 'int',
  /** The return or exception event; null for a call still open at the end. */
  end_seq: 'int?',
  depth: 'int',
  mfa: 'text',
  started_at: 'big',
  /** The trace's end for a call still open; its start for a `no_return` call (an instant). */
  ended_at: 'big',
  duration_ns: 'big',
  /** Duration minus the calls one level deeper inside it. */
  self_ns: 'big?',
  /** `return`, `exception`, `untraced` (ended at a later read of its state), `in_drop` (ended where the recorder began dropping events), `no_return` (traced without returns: an instant, its duration unknown) or `unfinished`. */
  outcome: 'text',
  args: 'text?',
  result: 'text?',
} as const;
export type FlameSlice = RowOf<typeof SLICE>;

export interface FlameChart {
  slices: FlameSlice[];
  /** Every call of the process: its count, its deepest level, and the time they cover (null: no calls). */
  calls: number;
  maxDepth: number;
  extent: { start: bigint; end: bigint } | null;
  /** ns per pixel: the window's length over `pixels` (0: no decimation). */
  pixelNs: number;
  /** Calls overlapping the window left out: a longer one at the same depth started in the same pixel, or past `limit`. */
  hidden: number;
}

/**
 * The calls of `p` overlapping `window` (null: every call of the process),
 * outermost first and in time order, at most `limit` of them. With `pixels`
 * (the chart's width), one call per depth and pixel: the longest of those
 * starting there (a call that started before the window counts at its left
 * edge); the rest are counted in `hidden`.
 */
export async function flameChart(sql: Sql, p: ProcessRef, window: { start: bigint; end: bigint } | null = null, pixels = 0, limit = 5000): Promise<FlameChart> {
  const proc = `s.node = ${sqlString(p.node)} AND s.pid = ${sqlString(p.pid)}`;
  // a call still open runs to the trace's end; one of a function traced without returns (`no_return`) is an instant
  const spans = `(SELECT s.*, coalesce(s.ended_at, CASE WHEN s.outcome = 'no_return' THEN s.started_at ELSE (SELECT max(ts) FROM events) END) AS until
                   FROM spans s WHERE ${proc})`;
  const overlap = window === null ? 'true' : `started_at <= ${sqlInt(window.end)} AND until >= ${sqlInt(window.start)}`;
  const whole = readOne(
    'flame chart',
    await sql(
      `SELECT count(*) AS calls, coalesce(max(depth), 0) AS max_depth, min(started_at) AS start, max(until) AS "end",
              count(*) FILTER (WHERE ${overlap}) AS visible
         FROM ${spans}`,
    ),
    { calls: 'int', max_depth: 'int', start: 'big?', end: 'big?', visible: 'int' },
  );
  const extent = whole.start === null || whole.end === null ? null : { start: whole.start, end: whole.end };
  const shown = window ?? extent;
  const pixelNs = pixels > 0 && shown !== null ? Math.max(1, Math.floor(Number(shown.end - shown.start) / pixels)) : 0;
  const pixel = pixelNs > 0 && shown !== null ? `(greatest(started_at, ${sqlInt(shown.start)}) - ${sqlInt(shown.start)}) // ${sqlInt(pixelNs)}` : 'call_seq';
  const slices = readRows(
    'flame chart',
    await sql(
      `SELECT call_seq, end_seq, depth, mfa, started_at, until AS ended_at, (until - started_at)::BIGINT AS duration_ns, self_ns,
              outcome, args, result
         FROM ${spans}
        WHERE ${overlap}
        QUALIFY row_number() OVER (PARTITION BY depth, ${pixel} ORDER BY until - started_at DESC, call_seq) = 1
        ORDER BY depth, started_at, call_seq LIMIT ${Math.max(0, Math.trunc(limit))}`,
    ),
    SLICE,
  );
  return { slices, calls: whole.calls, maxDepth: whole.max_depth, extent, pixelNs, hidden: whole.visible - slices.length };
}

const CALLER = { node: 'text', pid: 'text', calls: 'int', max_depth: 'int' } as const;
export type FlameProcess = RowOf<typeof CALLER>;

/** The processes with traced calls, most calls first: what a flame chart can show. */
export async function flameProcesses(sql: Sql, limit = 20): Promise<FlameProcess[]> {
  return readRows(
    'flame processes',
    await sql(
      `SELECT node, pid, count(*) AS calls, max(depth) AS max_depth FROM spans GROUP BY node, pid
        ORDER BY calls DESC, node, pid LIMIT ${Math.max(0, Math.trunc(limit))}`,
    ),
    CALLER,
  );
}
