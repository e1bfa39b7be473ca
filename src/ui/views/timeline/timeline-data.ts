/**
 * The timeline's queries. Everything is decimated in SQL: events come back as
 * per-lane, per-time-bucket aggregates (Perfetto's "mipmaps") whose bucket is a
 * power of two no wider than a pixel, so the result size is bounded by lanes x
 * pixel columns whatever the trace size, and a bucket holding one event is
 * that event (its seq and exact ts come along). Times are ns relative to the
 * trace start (`t0`), as plain numbers.
 */
import type { Session } from '../../lib/session.svelte';
import { KIND_CODE_SQL, markClassOf } from './kinds';
import { int, lanesValues, lit, num, str, comparePids } from './sql-text';

export interface Lane {
  node: string;
  pid: string;
  name: string | null;
  module: string | null;
  initial: string | null;
  /** Grouping key: node and supervising parent. */
  group: string;
  events: number;
}

export interface LaneRange {
  from: number;
  /** Exclusive. */
  to: number;
}

/** A tile of decimated marks for lanes [lanes.from, lanes.to) over [start, end). */
export interface MarkTile {
  start: number;
  end: number;
  bucket: number;
  lanes: LaneRange;
  count: number;
  lane: Int32Array;
  /** Exact ts when n == 1, else the bucket's start. */
  t: Float64Array;
  /** The first event's exact ts (its seq is `seq`). */
  first: Float64Array;
  n: Int32Array;
  cls: Uint8Array;
  mask: Int32Array;
  seq: Float64Array;
  /** Per lane (relative to lanes.from): first row and row after the last. */
  laneRows: Int32Array;
  maxN: number;
}

export interface SpanTile {
  count: number;
  lane: Int32Array;
  depth: Uint8Array;
  start: Float64Array;
  end: Float64Array;
  seq: Float64Array;
  mfa: string[];
  open: Uint8Array;
}

export interface ArrowTile {
  count: number;
  fromLane: Int32Array;
  toLane: Int32Array;
  sent: Float64Array;
  recv: Float64Array;
  sendSeq: Float64Array;
  recvSeq: Float64Array;
  /** Messages this arrow stands for (decimated arrows stand for several). */
  n: Int32Array;
}

export interface Tile {
  marks: MarkTile;
  spans: SpanTile;
  arrows: ArrowTile;
}

export async function queryLanes(session: Session): Promise<Lane[]> {
  const [ev, pr] = await Promise.all([
    session.query(`SELECT node, pid, count(*) AS n FROM events WHERE pid IS NOT NULL GROUP BY node, pid`),
    session.query(`SELECT node, pid, name, module, initial_call, parent_pid FROM processes`),
  ]);
  const procs = new Map<string, { name: string | null; module: string | null; initial: string | null; parent: string | null }>();
  for (const r of pr.rows) procs.set(`${str(r[0])}|${str(r[1])}`, { name: str(r[2]), module: str(r[3]), initial: str(r[4]), parent: str(r[5]) });
  const isSupervisor = (p: { module: string | null; initial: string | null; name: string | null }) =>
    p.module === ':supervisor' || p.module === ':supervisor_bridge' || /^:supervisor\./.test(p.initial ?? '') || /Supervisor$/.test(p.name ?? '');
  /** Lanes group under their nearest supervising ancestor (Perfetto groups threads by process; we group processes by supervisor). */
  const groupOf = (node: string, pid: string): string => {
    const seen = new Set<string>();
    let parent = procs.get(`${node}|${pid}`)?.parent ?? null;
    while (parent && !seen.has(parent)) {
      seen.add(parent);
      const p = procs.get(`${node}|${parent}`);
      if (!p) break;
      if (isSupervisor(p)) return `${node} › ${p.name ?? parent}`;
      parent = p.parent;
    }
    return node;
  };
  const lanes = ev.rows.map((row) => {
    const node = str(row[0])!;
    const pid = str(row[1])!;
    const p = procs.get(`${node}|${pid}`);
    return { node, pid, events: num(row[2]), name: p?.name ?? null, module: p?.module ?? null, initial: p?.initial ?? null, group: groupOf(node, pid) };
  });
  lanes.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : comparePids(a.pid, b.pid)));
  return lanes;
}

/** Call spans from call/return/exception events, paired per process by depth; created once per load. */
export async function prepareSpans(session: Session): Promise<void> {
  await session.query(
    `CREATE OR REPLACE TEMP TABLE ui_timeline_spans AS
     WITH cr AS (
       SELECT seq, ts, node, pid, kind, mfa,
              sum(CASE WHEN kind = 'call' THEN 1 ELSE -1 END) OVER (PARTITION BY node, pid ORDER BY seq ROWS UNBOUNDED PRECEDING) AS d
         FROM events WHERE kind IN ('call', 'return', 'exception')
     ), lv AS (
       SELECT *, CASE WHEN kind = 'call' THEN d - 1 ELSE d END AS lvl FROM cr
     ), pr AS (
       SELECT *, lead(kind) OVER w AS nkind, lead(ts) OVER w AS nts FROM lv
       WINDOW w AS (PARTITION BY node, pid, lvl ORDER BY seq)
     )
     SELECT node, pid, greatest(lvl, 0)::INTEGER AS depth, seq, ts AS start_ts,
            CASE WHEN nkind IN ('return', 'exception') THEN nts END AS end_ts, mfa
       FROM pr WHERE kind = 'call'`,
  );
}

const EMPTY_SPANS: SpanTile = {
  count: 0,
  lane: new Int32Array(0),
  depth: new Uint8Array(0),
  start: new Float64Array(0),
  end: new Float64Array(0),
  seq: new Float64Array(0),
  mfa: [],
  open: new Uint8Array(0),
};

/**
 * One tile: marks, spans and arrows for lanes `range` over [start, end) at
 * `bucket` ns per column. `key` makes it latest-request-wins in the worker.
 */
export async function queryTile(
  session: Session,
  t0: bigint,
  traceEnd: number,
  lanes: Lane[],
  range: LaneRange,
  start: number,
  end: number,
  bucket: number,
  spansReady: boolean,
): Promise<Tile> {
  const laneSql = `(VALUES ${lanesValues(lanes.slice(range.from, range.to), range.from)}) AS l(i, node, pid)`;
  const a = `${int(t0)} + ${int(start)}`;
  const b = `${int(t0)} + ${int(end)}`;
  const [m, s, ar] = await Promise.all([
    session.query(
      `SELECT l.i, (e.ts - (${a})) // ${int(bucket)} AS bk, count(*) AS n, bit_or(1 << ${KIND_CODE_SQL.replaceAll('kind', 'e.kind')})::INTEGER AS mask,
              min(e.seq) AS seq, (min(e.ts) - ${int(t0)}) AS t
         FROM events e JOIN ${laneSql} ON e.node = l.node AND e.pid = l.pid
        WHERE e.ts >= ${a} AND e.ts < ${b}
        GROUP BY ALL ORDER BY l.i, bk`,
      'timeline-marks',
    ),
    spansReady
      ? session.query(
          `SELECT l.i, s.depth, s.start_ts - ${int(t0)}, coalesce(s.end_ts, ${int(t0)} + ${int(traceEnd)}) - ${int(t0)}, s.seq, s.mfa, s.end_ts IS NULL
             FROM ui_timeline_spans s JOIN ${laneSql} ON s.node = l.node AND s.pid = l.pid
            WHERE s.start_ts < ${b} AND coalesce(s.end_ts, ${int(t0)} + ${int(traceEnd)}) > ${a}
              AND coalesce(s.end_ts, ${int(t0)} + ${int(traceEnd)}) - s.start_ts >= ${int(bucket * 2)}
            ORDER BY s.depth, s.start_ts LIMIT 20000`,
          'timeline-spans',
        )
      : null,
    session.query(
      `SELECT lf.i, lt.i, m.sent_at - ${int(t0)}, m.received_at - ${int(t0)}, m.send_seq, m.recv_seq, count(*) OVER (PARTITION BY lf.i, lt.i, m.sent_at // ${int(bucket * 4)}) AS n
         FROM messages m
         JOIN ${laneSql.replace('AS l(', 'AS lf(')} ON m.from_node = lf.node AND m.from_pid = lf.pid
         JOIN ${laneSql.replace('AS l(', 'AS lt(')} ON m.to_node = lt.node AND m.to_pid = lt.pid
        WHERE m.send_seq IS NOT NULL AND m.recv_seq IS NOT NULL AND m.sent_at < ${b} AND m.received_at >= ${a}
        QUALIFY row_number() OVER (PARTITION BY lf.i, lt.i, m.sent_at // ${int(bucket * 4)} ORDER BY m.sent_at) = 1
        ORDER BY m.sent_at LIMIT 5000`,
      'timeline-arrows',
    ),
  ]);

  const count = m.rows.length;
  const marks: MarkTile = {
    start,
    end,
    bucket,
    lanes: range,
    count,
    lane: new Int32Array(count),
    t: new Float64Array(count),
    first: new Float64Array(count),
    n: new Int32Array(count),
    cls: new Uint8Array(count),
    mask: new Int32Array(count),
    seq: new Float64Array(count),
    laneRows: new Int32Array((range.to - range.from) * 2),
    maxN: 1,
  };
  marks.laneRows.fill(0);
  let prevLane = -1;
  for (let k = 0; k < count; k++) {
    const row = m.rows[k];
    const lane = num(row[0]);
    const n = num(row[2]);
    const mask = num(row[3]);
    marks.lane[k] = lane;
    marks.n[k] = n;
    marks.mask[k] = mask;
    marks.cls[k] = markClassOf(mask);
    marks.seq[k] = num(row[4]);
    marks.first[k] = num(row[5]);
    marks.t[k] = n === 1 ? marks.first[k] : start + num(row[1]) * bucket;
    if (n > marks.maxN) marks.maxN = n;
    if (lane !== prevLane) {
      marks.laneRows[(lane - range.from) * 2] = k;
      prevLane = lane;
    }
    marks.laneRows[(lane - range.from) * 2 + 1] = k + 1;
  }

  let spans = EMPTY_SPANS;
  if (s) {
    const c = s.rows.length;
    spans = {
      count: c,
      lane: new Int32Array(c),
      depth: new Uint8Array(c),
      start: new Float64Array(c),
      end: new Float64Array(c),
      seq: new Float64Array(c),
      mfa: new Array(c),
      open: new Uint8Array(c),
    };
    s.rows.forEach((row, k) => {
      spans.lane[k] = num(row[0]);
      spans.depth[k] = Math.min(255, num(row[1]));
      spans.start[k] = num(row[2]);
      spans.end[k] = num(row[3]);
      spans.seq[k] = num(row[4]);
      spans.mfa[k] = str(row[5]) ?? '';
      spans.open[k] = row[6] ? 1 : 0;
    });
  }

  const c = ar.rows.length;
  const arrows: ArrowTile = {
    count: c,
    fromLane: new Int32Array(c),
    toLane: new Int32Array(c),
    sent: new Float64Array(c),
    recv: new Float64Array(c),
    sendSeq: new Float64Array(c),
    recvSeq: new Float64Array(c),
    n: new Int32Array(c),
  };
  ar.rows.forEach((row, k) => {
    arrows.fromLane[k] = num(row[0]);
    arrows.toLane[k] = num(row[1]);
    arrows.sent[k] = num(row[2]);
    arrows.recv[k] = num(row[3]);
    arrows.sendSeq[k] = num(row[4]);
    arrows.recvSeq[k] = num(row[5]);
    arrows.n[k] = num(row[6]);
  });
  return { marks, spans, arrows };
}

export interface EventRow {
  seq: number;
  t: number;
  node: string;
  pid: string | null;
  kind: string;
  peer: string | null;
  mfa: string | null;
  term: string | null;
}

export async function queryEvent(session: Session, t0: bigint, seq: number, key: string): Promise<EventRow | null> {
  const r = await session.query(`SELECT seq, ts - ${int(t0)}, node, pid, kind, peer, mfa, term FROM events WHERE seq = ${int(seq)}`, key);
  const row = r.rows[0];
  if (!row) return null;
  return { seq: num(row[0]), t: num(row[1]), node: str(row[2])!, pid: str(row[3]), kind: str(row[4])!, peer: str(row[5]), mfa: str(row[6]), term: str(row[7]) };
}

export interface AreaSummary {
  start: number;
  end: number;
  lanes: number;
  events: number;
  kinds: { kind: string; n: number }[];
  processes: number;
  messages: number;
  messagesWithin: number;
}

/** What an area (time range x lanes) holds: counts by kind, processes, messages. */
export async function querySummary(session: Session, t0: bigint, lanes: Lane[], range: LaneRange, start: number, end: number): Promise<AreaSummary> {
  const laneSql = `(VALUES ${lanesValues(lanes.slice(range.from, range.to), range.from)}) AS l(i, node, pid)`;
  const a = `${int(t0)} + ${int(start)}`;
  const b = `${int(t0)} + ${int(end)}`;
  const [k, m] = await Promise.all([
    session.query(
      `SELECT e.kind, count(*) AS n, l.i
         FROM events e JOIN ${laneSql} ON e.node = l.node AND e.pid = l.pid
        WHERE e.ts >= ${a} AND e.ts <= ${b} GROUP BY e.kind, l.i`,
      'timeline-summary-kinds',
    ),
    session.query(
      `SELECT count(*), count(*) FILTER (WHERE m.to_pid IN (SELECT pid FROM ${laneSql}) AND m.received_at <= ${b})
         FROM messages m JOIN ${laneSql} ON m.from_node = l.node AND m.from_pid = l.pid
        WHERE m.sent_at >= ${a} AND m.sent_at <= ${b}`,
      'timeline-summary-msgs',
    ),
  ]);
  const kinds = new Map<string, number>();
  const procs = new Set<number>();
  for (const row of k.rows) {
    kinds.set(str(row[0])!, (kinds.get(str(row[0])!) ?? 0) + num(row[1]));
    procs.add(num(row[2]));
  }
  const list = [...kinds].map(([kind, n]) => ({ kind, n })).sort((x, y) => y.n - x.n);
  return {
    start,
    end,
    lanes: range.to - range.from,
    events: list.reduce((s, x) => s + x.n, 0),
    kinds: list,
    processes: procs.size,
    messages: num(m.rows[0]?.[0] ?? 0),
    messagesWithin: num(m.rows[0]?.[1] ?? 0),
  };
}

export { lit };
