/**
 * The timeline's queries. Everything is decimated in SQL: events come back as
 * per-lane, per-time-bucket aggregates (Perfetto's "mipmaps") whose bucket is a
 * power of two no wider than a pixel, so the result size is bounded by lanes x
 * pixel columns whatever the trace size, and a bucket holding one event is
 * that event (its seq and exact ts come along). Times are ns relative to the
 * trace start (`t0`), as plain numbers. Call spans are the engine's `spans`.
 */
import { EVENT_KINDS } from '../../archive/trace-event';
import { comparePids, lanesValues } from './pids';
import { readRows, sqlInt, type Sql, type Tail } from './rows';
import { ORIGIN, type Origin } from './signal-origin';
import { isSupervisor } from '../supervisor';

/** Event kinds as small integers, so a bucket's kinds come back as one bit mask (`bit_or(1 << code)`). */
export const KIND_CODES = EVENT_KINDS;

/** SQL expression giving a kind's code (0-based), -1 for an unknown kind. */
const KIND_CODE_SQL = `(list_position([${EVENT_KINDS.map((k) => `'${k}'`).join(', ')}], e.kind) - 1)`;
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
  /** Bit mask of the kinds in the bucket (bit = index in KIND_CODES). */
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
  /**
   * 0: ended at its return; 1: no return seen (drawn to the trace's end); 2: `untraced`, ended at a later read of its
   * state (an upper bound); 3: `in_drop`, ended where the recorder began dropping events on its node (a lower bound);
   * 4: `no_return`, an instant (\`end\` = \`start\`): its function was traced without returns, its duration unknown.
   */
  open: Uint8Array;
}

export interface ArrowTile {
  count: number;
  fromLane: Int32Array;
  toLane: Int32Array;
  /** Where the arrow starts: the send, or for a signal its origin (signal-origin.ts). */
  sent: Float64Array;
  recv: Float64Array;
  /** -1 for a signal (no send). */
  sendSeq: Float64Array;
  recvSeq: Float64Array;
  /** Messages this arrow stands for (decimated arrows stand for several). */
  n: Int32Array;
  /** How each came about (`ORIGIN`): a send, or a signal from its sender's exit or from the receive's instant. */
  origin: Uint8Array;
  /**
   * More arrows were in the tile than it holds (ARROW_LIMIT messages, ARROW_LIMIT signals, after decimation): an
   * even stride of them by time was kept, the rest left out until a narrower view asks again. The view must say so.
   */
  capped: boolean;
  /** Arrows in the tile after decimation, before the limit left any out (`count` when not capped). */
  total: number;
}

/** At most this many message arrows, and as many signal arrows, in one tile (each part has its own limit). */
export const ARROW_LIMIT = 5000;

export interface Tile {
  marks: MarkTile;
  spans: SpanTile;
  arrows: ArrowTile;
}

/** The processes with events, grouped under their nearest supervising ancestor; within a group by pid, the node's own busiest first. */
export async function timelineLanes(sql: Sql): Promise<Lane[]> {
  const ev = readRows('timeline lanes', await sql(`SELECT node, pid, count(*) AS n FROM events WHERE pid IS NOT NULL GROUP BY node, pid`, 10_000_000), {
    node: 'text',
    pid: 'text',
    n: 'int',
  });
  const pr = readRows('timeline processes', await sql(`SELECT node, pid, name, module, initial_call, child_type, parent_pid FROM processes`, 10_000_000), {
    node: 'text',
    pid: 'text',
    name: 'text?',
    module: 'text?',
    initial_call: 'text?',
    child_type: 'text?',
    parent_pid: 'text?',
  });
  const procs = new Map<string, { name: string | null; module: string | null; initial: string | null; parent: string | null; supervises: boolean }>();
  for (const r of pr) {
    const supervises = isSupervisor({ childType: r.child_type, module: r.module, initialCall: r.initial_call });
    procs.set(`${r.node}|${r.pid}`, { name: r.name, module: r.module, initial: r.initial_call, parent: r.parent_pid, supervises });
  }
  /** Lanes group under their nearest supervising ancestor (Perfetto groups threads by process; we group processes by supervisor). */
  const groupOf = (node: string, pid: string): string => {
    const seen = new Set<string>();
    let parent = procs.get(`${node}|${pid}`)?.parent ?? null;
    while (parent && !seen.has(parent)) {
      seen.add(parent);
      const p = procs.get(`${node}|${parent}`);
      if (!p) break;
      if (p.supervises) return `${node} › ${p.name ?? parent}`;
      parent = p.parent;
    }
    return node;
  };
  const lanes = ev.map(({ node, pid, n }) => {
    const p = procs.get(`${node}|${pid}`);
    return { node, pid, events: n, name: p?.name ?? null, module: p?.module ?? null, initial: p?.initial ?? null, group: groupOf(node, pid) };
  });
  // A supervisor's children in pid order (the order it started them, as observer lists them); the node's own group
  // (processes no supervisor holds: the runtime's, a script's, a shell's) busiest first, so the user's work shows
  // before the application controller and the shell.
  const busiestFirst = (a: Lane, b: Lane) => (a.group === a.node ? b.events - a.events : 0);
  lanes.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : busiestFirst(a, b) || comparePids(a.pid, b.pid)));
  return lanes;
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

const EMPTY_ARROWS: ArrowTile = {
  count: 0,
  fromLane: new Int32Array(0),
  toLane: new Int32Array(0),
  sent: new Float64Array(0),
  recv: new Float64Array(0),
  sendSeq: new Float64Array(0),
  recvSeq: new Float64Array(0),
  n: new Int32Array(0),
  origin: new Uint8Array(0),
  capped: false,
  total: 0,
};

const int = (n: bigint | number) => sqlInt(typeof n === 'number' ? Math.round(n) : n);

interface ArrowRow {
  from_lane: number;
  to_lane: number;
  sent: number;
  recv: number;
  /** -1 for a signal. */
  send_seq: number;
  recv_seq: number;
  n: number;
  origin: Origin;
}

/**
 * One tile: marks, spans and arrows (messages, and signals from their sender's
 * exit) for lanes `range` over [start, end) at `bucket` ns per column. `lanes` are the lanes of the range (lanes[0] is lane `range.from`).
 */
export async function timelineTile(
  sql: Sql,
  t0: bigint,
  traceEnd: number,
  lanes: { node: string; pid: string }[],
  range: LaneRange,
  start: number,
  end: number,
  bucket: number,
): Promise<Tile> {
  const values = lanesValues(lanes.slice(0, range.to - range.from), range.from);
  const laneSql = `(VALUES ${values}) AS l(i, node, pid)`;
  const a = `${int(t0)} + ${int(start)}`;
  const b = `${int(t0)} + ${int(end)}`;
  const open = `${int(t0)} + ${int(traceEnd)}`;
  const marks = await tileMarks(sql, t0, laneSql, range, start, end, bucket);
  // Calls of a function traced without returns (\`no_return\`) are instants, not bars to the trace's end: ticks, one per
  // lane and pixel (the first), with a limit of their own so a whole node's calls never crowd out the bars.
  const s = readRows(
    'timeline spans',
    await sql(
      `(SELECT l.i, s.depth, s.started_at - ${int(t0)} AS start, coalesce(s.ended_at, ${open}) - ${int(t0)} AS "end", s.call_seq AS seq, s.mfa,
              CASE WHEN s.ended_at IS NULL THEN 1 WHEN s.outcome = 'untraced' THEN 2 WHEN s.outcome = 'in_drop' THEN 3 ELSE 0 END AS open
         FROM spans s JOIN ${laneSql} ON s.node = l.node AND s.pid = l.pid
        WHERE s.started_at < ${b} AND coalesce(s.ended_at, ${open}) > ${a} AND s.outcome <> 'no_return'
          AND coalesce(s.ended_at, ${open}) - s.started_at >= ${int(bucket * 2)}
        ORDER BY s.depth, s.started_at LIMIT 20000)
       UNION ALL
       (SELECT l.i, min(s.depth), min(s.started_at) - ${int(t0)} AS start, min(s.started_at) - ${int(t0)} AS "end",
               min(s.call_seq) AS seq, arg_min(s.mfa, s.call_seq) AS mfa, 4 AS open
          FROM spans s JOIN ${laneSql} ON s.node = l.node AND s.pid = l.pid
         WHERE s.outcome = 'no_return' AND s.started_at >= ${a} AND s.started_at < ${b}
         GROUP BY l.i, (s.started_at - (${a})) // ${int(bucket)}
         ORDER BY start LIMIT 20000)`,
    ),
    { i: 'int', depth: 'int', start: 'num', end: 'num', seq: 'num', mfa: 'text?', open: 'int' },
  );
  // Sent and received messages (a send before the tile's end, its receive at or after its start: filters the scan's
  // statistics skip on), then the signals whose line is in the tile, from `signal_lines` (a table of the signals
  // alone, built once per load with where each starts: signal-origin.ts), not from `messages`: a filter that let
  // `messages`' signals through (no send time) made a 1M-event trace's tiles pay a fifth to a half more for their
  // arrows. One statement (a second costs a tile a few ms even when it finds nothing), the lanes materialized once
  // for its four joins (each join with the VALUES list itself costs more to plan than the join runs, from about a
  // hundred lanes on). Each part has its own limit, so messages never crowd out the signals. A signal decimates apart
  // from the messages between the same lanes (on its receive's time), so none hides behind one, and two from one exit
  // (an :EXIT and a :DOWN) separate when zoomed in. A part with more decimated arrows than its limit keeps an even
  // stride of them by time (row k of `total` is kept when floor(k * limit / total) steps up: exactly `limit` rows),
  // so a capped view draws arrows across its whole width, not only its first part.
  const stride = (rows: string, time: string, seq: string) =>
    `SELECT * EXCLUDE (k) FROM (
       SELECT *, row_number() OVER (ORDER BY ${time}, ${seq}) AS k, count(*) OVER () AS total FROM (${rows}))
      WHERE total <= ${ARROW_LIMIT} OR k * ${ARROW_LIMIT} // total > (k - 1) * ${ARROW_LIMIT} // total`;
  const ar = readRows(
    'timeline arrows',
    await sql(
      `WITH l(i, node, pid) AS MATERIALIZED (VALUES ${values})
       ${stride(
         `SELECT lf.i AS from_lane, lt.i AS to_lane, m.sent_at - ${int(t0)} AS sent, m.received_at - ${int(t0)} AS recv, m.send_seq, m.recv_seq,
                count(*) OVER (PARTITION BY lf.i, lt.i, m.sent_at // ${int(bucket * 4)}) AS n, NULL::BOOLEAN AS from_exit
           FROM messages m JOIN l lf ON m.from_node = lf.node AND m.from_pid = lf.pid JOIN l lt ON m.to_node = lt.node AND m.to_pid = lt.pid
          WHERE m.send_seq IS NOT NULL AND m.recv_seq IS NOT NULL AND m.sent_at < ${b} AND m.received_at >= ${a}
          QUALIFY row_number() OVER (PARTITION BY lf.i, lt.i, m.sent_at // ${int(bucket * 4)} ORDER BY m.sent_at) = 1`,
         'sent',
         'send_seq',
       )}
       UNION ALL
       ${stride(
         `SELECT lf.i AS from_lane, lt.i AS to_lane, s.started_at - ${int(t0)} AS sent, s.received_at - ${int(t0)} AS recv, NULL::BIGINT AS send_seq, s.recv_seq,
                count(*) OVER (PARTITION BY lf.i, lt.i, s.received_at // ${int(bucket * 4)}) AS n, s.from_exit
           FROM signal_lines s JOIN l lf ON s.from_node = lf.node AND s.from_pid = lf.pid JOIN l lt ON s.to_node = lt.node AND s.to_pid = lt.pid
          WHERE s.received_at >= ${a} AND s.started_at < ${b}
          QUALIFY row_number() OVER (PARTITION BY lf.i, lt.i, s.received_at // ${int(bucket * 4)} ORDER BY s.recv_seq) = 1`,
         'recv',
         'recv_seq',
       )}`,
    ),
    { from_lane: 'int', to_lane: 'int', sent: 'num', recv: 'num', send_seq: 'num?', recv_seq: 'num', n: 'int', from_exit: 'bool?', total: 'num' },
  );
  const sent: ArrowRow[] = [];
  const signalled: ArrowRow[] = [];
  let sentTotal = 0;
  let signalTotal = 0;
  for (const r of ar) {
    if (r.send_seq !== null) {
      sent.push({ ...r, send_seq: r.send_seq, origin: ORIGIN.send });
      sentTotal = r.total;
    } else {
      signalled.push({ ...r, send_seq: -1, origin: r.from_exit ? ORIGIN.exit : ORIGIN.receive });
      signalTotal = r.total;
    }
  }
  const total = sentTotal + signalTotal;
  const capped = sentTotal > ARROW_LIMIT || signalTotal > ARROW_LIMIT;
  const arrowRows = signalled.length === 0 ? sent : [...sent, ...signalled].sort((x, y) => x.sent - y.sent || x.recv_seq - y.recv_seq);

  let spans = EMPTY_SPANS;
  if (s.length > 0) {
    const c = s.length;
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
    s.forEach((row, k) => {
      spans.lane[k] = row.i;
      spans.depth[k] = Math.min(255, Math.max(0, row.depth));
      spans.start[k] = row.start;
      spans.end[k] = row.end;
      spans.seq[k] = row.seq;
      spans.mfa[k] = row.mfa ?? '';
      spans.open[k] = row.open;
    });
  }

  const c = arrowRows.length;
  const arrows: ArrowTile = {
    count: c,
    fromLane: new Int32Array(c),
    toLane: new Int32Array(c),
    sent: new Float64Array(c),
    recv: new Float64Array(c),
    sendSeq: new Float64Array(c),
    recvSeq: new Float64Array(c),
    n: new Int32Array(c),
    origin: new Uint8Array(c),
    capped,
    total,
  };
  arrowRows.forEach((row, k) => {
    arrows.fromLane[k] = row.from_lane;
    arrows.toLane[k] = row.to_lane;
    arrows.sent[k] = row.sent;
    arrows.recv[k] = row.recv;
    arrows.sendSeq[k] = row.send_seq;
    arrows.recvSeq[k] = row.recv_seq;
    arrows.n[k] = row.n;
    arrows.origin[k] = row.origin;
  });
  return { marks, spans, arrows };
}

export interface TimelineEvent {
  seq: number;
  t: number;
  node: string;
  pid: string | null;
  kind: string;
  peer: string | null;
  mfa: string | null;
  term: string | null;
}

/** One event with its time relative to `t0`. */
export async function timelineEvent(sql: Sql, t0: bigint, seq: number): Promise<TimelineEvent | null> {
  const [row] = readRows(
    'timeline event',
    await sql(`SELECT seq, ts - ${int(t0)} AS t, node, pid, kind, peer, mfa, term FROM events WHERE seq = ${int(seq)}`),
    { seq: 'int', t: 'num', node: 'text', pid: 'text?', kind: 'text', peer: 'text?', mfa: 'text?', term: 'text?' },
  );
  return row ?? null;
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

/** What an area (time range x lanes) holds: counts by kind, processes, messages sent from it and received within it. */
export async function timelineArea(sql: Sql, t0: bigint, lanes: { node: string; pid: string }[], start: number, end: number): Promise<AreaSummary> {
  const laneSql = `(VALUES ${lanesValues(lanes)}) AS l(i, node, pid)`;
  const a = `${int(t0)} + ${int(start)}`;
  const b = `${int(t0)} + ${int(end)}`;
  const k = readRows(
    'timeline area kinds',
    await sql(
      `SELECT e.kind, count(*) AS n, l.i
         FROM events e JOIN ${laneSql} ON e.node = l.node AND e.pid = l.pid
        WHERE e.ts >= ${a} AND e.ts <= ${b} GROUP BY e.kind, l.i`,
      10_000_000,
    ),
    { kind: 'text', n: 'int', i: 'int' },
  );
  const [m] = readRows(
    'timeline area messages',
    await sql(
      `SELECT count(*) AS sent, count(*) FILTER (WHERE m.to_pid IN (SELECT pid FROM ${laneSql}) AND m.received_at <= ${b}) AS within
         FROM messages m JOIN ${laneSql} ON m.from_node = l.node AND m.from_pid = l.pid
        WHERE m.sent_at >= ${a} AND m.sent_at <= ${b}`,
    ),
    { sent: 'int', within: 'int' },
  );
  const kinds = new Map<string, number>();
  const procs = new Set<number>();
  for (const row of k) {
    kinds.set(row.kind, (kinds.get(row.kind) ?? 0) + row.n);
    procs.add(row.i);
  }
  const list = [...kinds].map(([kind, n]) => ({ kind, n })).sort((x, y) => y.n - x.n);
  return {
    start,
    end,
    lanes: lanes.length,
    events: list.reduce((s, x) => s + x.n, 0),
    kinds: list,
    processes: procs.size,
    messages: m?.sent ?? 0,
    messagesWithin: m?.within ?? 0,
  };
}

/** A call slice in an area: one call of `mfa` by a process (times in ns since `t0`). */
export interface AreaSlice {
  /** The call event (what selecting the row selects). */
  seq: number;
  node: string;
  pid: string;
  /** The process's registered name, if any. */
  name: string | null;
  mfa: string;
  depth: number;
  start: number;
  /** Until the return, or until the trace's end when no return was seen (`open`); 0 for `noReturn`. */
  duration: number;
  open: boolean;
  /** Ended at a later read of its process's state, not at a return (`untraced`): `duration` is an upper bound. */
  untraced: boolean;
  /** No return seen while the recorder dropped events (`in_drop`): `duration` runs to the first drop and is a lower bound. */
  inDrop: boolean;
  /** Its function was traced without returns (`no_return`): an instant, `duration` 0, its real duration unknown. */
  noReturn: boolean;
  /** Calls of the same MFA in the area (Perfetto's "occurrences"). */
  count: number;
}

/** A message with its send or its receive in an area (times in ns since `t0`; null: that side was not traced). */
export interface AreaMessage {
  sendSeq: number | null;
  recvSeq: number | null;
  /** The sender and the receiver; null when the trace does not say (a send to a name nobody held). */
  fromNode: string | null;
  fromPid: string | null;
  fromName: string | null;
  toNode: string | null;
  toPid: string | null;
  toName: string | null;
  msg: string | null;
  sent: number | null;
  received: number | null;
}

export interface AreaRows {
  slices: AreaSlice[];
  messages: AreaMessage[];
  /** How many there are in all (the lists stop at `limit`). */
  slicesTotal: number;
  messagesTotal: number;
}

/**
 * The call slices and messages in an area (lanes x [start, end], ns since
 * `t0`, both ends included), as Perfetto's area selection lists them: each
 * slice of a lane in the area that overlaps the range (an unfinished call
 * lasts until `traceEnd`), and each message sent by a lane of the area within
 * the range or received by one within it. Ordered by time, then seq; at most
 * `limit` of each.
 */
export async function timelineAreaRows(
  sql: Sql,
  t0: bigint,
  traceEnd: number,
  lanes: { node: string; pid: string }[],
  start: number,
  end: number,
  limit = 5000,
): Promise<AreaRows> {
  if (lanes.length === 0) return { slices: [], messages: [], slicesTotal: 0, messagesTotal: 0 };
  const laneSql = `(VALUES ${lanesValues(lanes)}) AS l(i, node, pid)`;
  const a = `${int(t0)} + ${int(start)}`;
  const b = `${int(t0)} + ${int(end)}`;
  const open = `${int(t0)} + ${int(traceEnd)}`;
  const slices = readRows(
    'timeline area slices',
    await sql(
      `WITH s AS (
         SELECT s.call_seq AS seq, s.node, s.pid, s.mfa, s.depth, s.started_at - ${int(t0)} AS start,
                coalesce(s.ended_at, CASE WHEN s.outcome = 'no_return' THEN s.started_at ELSE ${open} END) - s.started_at AS duration,
                s.ended_at IS NULL AND s.outcome <> 'no_return' AS open,
                s.outcome = 'untraced' AS untraced, s.outcome = 'in_drop' AS in_drop, s.outcome = 'no_return' AS no_return
           FROM spans s JOIN ${laneSql} ON s.node = l.node AND s.pid = l.pid
          WHERE s.started_at <= ${b} AND coalesce(s.ended_at, CASE WHEN s.outcome = 'no_return' THEN s.started_at ELSE ${open} END) >= ${a})
       SELECT s.*, count(*) OVER (PARTITION BY s.mfa) AS count, count(*) OVER () AS total, p.name
         FROM s LEFT JOIN processes p ON p.node = s.node AND p.pid = s.pid
        ORDER BY s.start, s.seq LIMIT ${int(limit)}`,
    ),
    {
      seq: 'num',
      node: 'text',
      pid: 'text',
      name: 'text?',
      mfa: 'text?',
      depth: 'int',
      start: 'num',
      duration: 'num',
      open: 'bool',
      untraced: 'bool',
      in_drop: 'bool',
      no_return: 'bool',
      count: 'int',
      total: 'int',
    },
  );
  const messages = readRows(
    'timeline area messages',
    await sql(
      `WITH m AS (
         SELECT m.* FROM messages m
          WHERE (m.sent_at BETWEEN ${a} AND ${b} AND EXISTS (SELECT 1 FROM ${laneSql} WHERE l.node = m.from_node AND l.pid = m.from_pid))
             OR (m.received_at BETWEEN ${a} AND ${b} AND EXISTS (SELECT 1 FROM ${laneSql} WHERE l.node = m.to_node AND l.pid = m.to_pid)))
       SELECT m.send_seq, m.recv_seq, m.from_node, m.from_pid, pf.name AS from_name, m.to_node, m.to_pid, pt.name AS to_name, m.msg,
              m.sent_at - ${int(t0)} AS sent, m.received_at - ${int(t0)} AS received, count(*) OVER () AS total
         FROM m
         LEFT JOIN processes pf ON pf.node = m.from_node AND pf.pid = m.from_pid
         LEFT JOIN processes pt ON pt.node = m.to_node AND pt.pid = m.to_pid
        ORDER BY coalesce(m.sent_at, m.received_at), coalesce(m.send_seq, m.recv_seq) LIMIT ${int(limit)}`,
    ),
    {
      send_seq: 'num?',
      recv_seq: 'num?',
      from_node: 'text?',
      from_pid: 'text?',
      from_name: 'text?',
      to_node: 'text?',
      to_pid: 'text?',
      to_name: 'text?',
      msg: 'text?',
      sent: 'num?',
      received: 'num?',
      total: 'int',
    },
  );
  return {
    slices: slices.map(({ total: _, mfa, in_drop, no_return, ...s }) => ({ ...s, inDrop: in_drop, noReturn: no_return, mfa: mfa ?? '' })),
    messages: messages.map((m) => ({
      sendSeq: m.send_seq,
      recvSeq: m.recv_seq,
      fromNode: m.from_node,
      fromPid: m.from_pid,
      fromName: m.from_name,
      toNode: m.to_node,
      toPid: m.to_pid,
      toName: m.to_name,
      msg: m.msg,
      sent: m.sent,
      received: m.received,
    })),
    slicesTotal: slices[0]?.total ?? 0,
    messagesTotal: messages[0]?.total ?? 0,
  };
}

/**
 * The marks of a tile alone (events only): what the timeline draws while `messages` and `spans` are still being
 * built behind the first view (needs.ts), with no spans and no arrows yet; the same arguments as `timelineTile`.
 */
export async function timelineMarks(sql: Sql, ...[t0, , lanes, range, start, end, bucket]: Tail<Parameters<typeof timelineTile>>): Promise<Tile> {
  const laneSql = `(VALUES ${lanesValues(lanes.slice(0, range.to - range.from), range.from)}) AS l(i, node, pid)`;
  return { marks: await tileMarks(sql, t0, laneSql, range, start, end, bucket), spans: EMPTY_SPANS, arrows: EMPTY_ARROWS };
}

/** Events per lane and time bucket of [start, end) for the lanes of `laneSql` (`l(i, node, pid)`). */
async function tileMarks(sql: Sql, t0: bigint, laneSql: string, range: LaneRange, start: number, end: number, bucket: number): Promise<MarkTile> {
  const a = `${int(t0)} + ${int(start)}`;
  const b = `${int(t0)} + ${int(end)}`;
  const m = readRows(
    'timeline marks',
    await sql(
      `SELECT l.i, (e.ts - (${a})) // ${int(bucket)} AS bk, count(*) AS n, bit_or(1 << ${KIND_CODE_SQL})::INTEGER AS mask,
              min(e.seq) AS seq, (min(e.ts) - ${int(t0)}) AS t
         FROM events e JOIN ${laneSql} ON e.node = l.node AND e.pid = l.pid
        WHERE e.ts >= ${a} AND e.ts < ${b}
        GROUP BY ALL ORDER BY l.i, bk`,
      10_000_000,
    ),
    { i: 'int', bk: 'num', n: 'int', mask: 'int', seq: 'num', t: 'num' },
  );
  const count = m.length;
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
    mask: new Int32Array(count),
    seq: new Float64Array(count),
    laneRows: new Int32Array((range.to - range.from) * 2),
    maxN: 1,
  };
  let prevLane = -1;
  m.forEach((row, k) => {
    marks.lane[k] = row.i;
    marks.n[k] = row.n;
    marks.mask[k] = row.mask;
    marks.seq[k] = row.seq;
    marks.first[k] = row.t;
    marks.t[k] = row.n === 1 ? row.t : start + row.bk * bucket;
    if (row.n > marks.maxN) marks.maxN = row.n;
    if (row.i !== prevLane) {
      marks.laneRows[(row.i - range.from) * 2] = k;
      prevLane = row.i;
    }
    marks.laneRows[(row.i - range.from) * 2 + 1] = k + 1;
  });

  return marks;
}
