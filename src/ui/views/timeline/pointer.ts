/**
 * What the pointer means on the timeline canvas, as pure functions of the
 * layout and the cached tile: which gesture a press starts (pan, area
 * selection, moving a lane by its name), what a hover shows, what a click
 * selects, which lanes an area covers and where a dragged lane lands.
 * Timeline.svelte turns the answers into session changes and redraws.
 */
import { kindsOf } from './kinds';
import { GUTTER_W, LANE_H, PINNED_GROUP, RULER_H, formatNs, type Layout, type Row } from './layout';
import type { Hit } from './hit-test';
import type { Tile } from './tile';
import type { Lane } from '../../../engine/views/timeline';
import { ORIGIN } from '../../../engine/views/signal-origin';

/** Pixels a press moves before it is a drag, not a click. */
export const DRAG_PX = 3;

export type Gesture = 'pan' | 'area' | 'lane';

/** Shift+press on the track starts an area; a press on a lane's name starts moving the lane; anything else pans. */
export function gestureAt(layout: Layout, scrollY: number, x: number, y: number, shiftKey: boolean): Gesture {
  if (x >= GUTTER_W) return shiftKey ? 'area' : 'pan';
  if (y < RULER_H) return 'pan';
  const row = rowAt(layout, y - RULER_H + scrollY);
  return row && row.lane >= 0 ? 'lane' : 'pan';
}

/** The layout row at body y (lanes' coordinates, scroll included). */
export function rowAt(layout: Layout, yBody: number): Row | undefined {
  return layout.rows.find((r) => yBody >= r.y && yBody < r.y + r.h);
}

export interface Area {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Lane indices (display order) whose row the area (canvas coordinates) touches. */
export function lanesInArea(layout: Layout, area: Area, scrollY: number): number[] {
  const y0 = Math.min(area.y0, area.y1) - RULER_H + scrollY;
  const y1 = Math.max(area.y0, area.y1) - RULER_H + scrollY;
  return layout.order.filter((i) => layout.laneY[i] + LANE_H > y0 && layout.laneY[i] < y1);
}

export interface LaneDrop {
  /** The group the lane moves within (PINNED_GROUP for pinned lanes). */
  group: string;
  /** The lane (index into lanes) it goes before; -1: after the group's last shown lane. */
  before: number;
  /** Where to draw the drop line (body y). */
  y: number;
}

/**
 * Where lane `lane`, dragged to body y `yBody`, lands: within its own group
 * (Perfetto moves tracks within their group), before the first shown lane
 * whose middle is below the pointer.
 */
export function laneDrop(layout: Layout, lane: number, yBody: number): LaneDrop | null {
  const own = layout.rows.find((r) => r.lane === lane);
  if (!own?.group) return null;
  const members = layout.rows.filter((r) => r.lane >= 0 && r.group === own.group);
  const next = members.find((r) => yBody < r.y + r.h / 2);
  if (next) return { group: own.group, before: next.lane, y: next.y };
  const last = members[members.length - 1];
  return { group: own.group, before: -1, y: last.y + last.h };
}

/** How near the body's top or bottom edge (px) a dragged lane scrolls the lanes, and the fastest step (px per frame). */
export const EDGE_PX = 28;
const EDGE_STEP = 14;

/**
 * The scroll step (px per frame; negative: up) for a lane dragged to canvas y `y`: zero in the middle, growing
 * as the pointer nears (or passes) the body's top edge (below the ruler) or the canvas's bottom edge.
 */
export function edgeScrollStep(y: number, height: number): number {
  const top = y - RULER_H;
  const bottom = height - y;
  if (top < EDGE_PX) return -Math.ceil((EDGE_STEP * Math.min(EDGE_PX, EDGE_PX - top)) / EDGE_PX);
  if (bottom < EDGE_PX) return Math.ceil((EDGE_STEP * Math.min(EDGE_PX, EDGE_PX - bottom)) / EDGE_PX);
  return 0;
}

export interface Selection {
  seq: number;
  /** ns since the trace start. */
  t: number;
  lane: number;
  note: string | null;
  /** The arrow selected with it (a message's receive), if any. */
  arrow: number | null;
}

/** What a click on hit `hit` selects: a message's or a signal's arrow its receive, a mark its (first) event, a call slice its call. */
export function selectionOf(hit: Hit, tile: Tile): Selection | null {
  if (!hit) return null;
  if (hit.type === 'arrow') {
    const a = tile.arrows;
    const k = hit.index;
    const note =
      a.origin[k] === ORIGIN.send
        ? `message #${a.sendSeq[k]} → #${a.recvSeq[k]}`
        : `signal → #${a.recvSeq[k]}: no send, the runtime made it${a.origin[k] === ORIGIN.exit ? ' at its sender’s exit' : ''}`;
    return { seq: a.recvSeq[k], t: a.recv[k], lane: a.toLane[k], note, arrow: k };
  }
  if (hit.type === 'mark') {
    const m = tile.marks;
    const k = hit.index;
    return { seq: m.seq[k], t: m.first[k], lane: hit.lane, note: m.n[k] > 1 ? `first of ${m.n[k]} events in this pixel` : null, arrow: null };
  }
  if (hit.type === 'span') {
    const s = tile.spans;
    const k = hit.index;
    const note =
      s.open[k] === 4
        ? `call of ${s.mfa[k]}: no return traced (its function was traced without return_trace), so its duration is unknown`
        : `call of ${s.mfa[k]}`;
    return { seq: s.seq[k], t: s.start[k], lane: hit.lane, note, arrow: null };
  }
  return null;
}

const laneName = (l: Lane) => l.name ?? l.pid;

/**
 * A hover's tooltip lines, and the seq whose term (fetched later) extends them.
 * Null over empty track.
 */
export function hoverLines(hit: Hit, tile: Tile, lanes: Lane[]): { lines: string[]; termOf: number | null } | null {
  if (!hit || hit.type === 'lane') return null;
  const k = hit.index;
  if (hit.type === 'arrow') {
    const a = tile.arrows;
    const from = laneName(lanes[a.fromLane[k]]);
    const to = laneName(lanes[a.toLane[k]]);
    if (a.origin[k] !== ORIGIN.send) {
      const lines = [
        `signal ${from} → ${to} (no send: the runtime made it)`,
        a.origin[k] === ORIGIN.exit
          ? `${from} exited ${formatNs(a.sent[k])}, received ${formatNs(a.recv[k])} (after ${formatNs(a.recv[k] - a.sent[k])})`
          : `received ${formatNs(a.recv[k])}; no exit of ${from} before it in the recording`,
      ];
      if (a.n[k] > 1) lines.push(`${a.n[k]} signals between these lanes here; zoom in to separate them`);
      return { lines, termOf: a.recvSeq[k] };
    }
    const lines = [`message ${from} → ${to}`, `sent ${formatNs(a.sent[k])}, received ${formatNs(a.recv[k])} (after ${formatNs(a.recv[k] - a.sent[k])})`];
    if (a.n[k] > 1) lines.push(`${a.n[k]} messages between these lanes here; zoom in to separate them`);
    return { lines, termOf: a.sendSeq[k] };
  }
  if (hit.type === 'span') {
    const s = tile.spans;
    if (s.open[k] === 4)
      return {
        lines: [
          s.mfa[k],
          `call at ${formatNs(s.start[k])}: no return traced, duration unknown`,
          'its function returns nowhere in the trace: traced without return_trace (dbg:tp(M, []))',
          `depth ${s.depth[k]}`,
        ],
        termOf: null,
      };
    return {
      lines: [
        s.mfa[k],
        `${s.open[k] === 1 ? 'no return seen; ' : s.open[k] === 2 ? 'returned within ' : s.open[k] === 3 ? 'ran at least ' : ''}${formatNs(s.end[k] - s.start[k])} from ${formatNs(s.start[k])}`,
        ...(s.open[k] === 2 ? ['its return was not traced: calls of this process stopped being traced; a later read of its state ends it'] : []),
        ...(s.open[k] === 3
          ? ['no return seen: the recorder dropped events on its node from its end on (max_rate, or the tracer behind); its return may be among them']
          : []),
        `depth ${s.depth[k]}`,
      ],
      termOf: null,
    };
  }
  const m = tile.marks;
  if (m.n[k] > 1)
    return {
      lines: [
        `${m.n[k].toLocaleString()} events in ${formatNs(m.bucket)} at ${formatNs(m.t[k])}`,
        kindsOf(m.mask[k]).join(', '),
        'zoom in (W) to see each event',
      ],
      termOf: null,
    };
  return { lines: [`${kindsOf(m.mask[k])[0]} · ${laneName(lanes[hit.lane])} · ${formatNs(m.t[k])}`], termOf: m.seq[k] };
}

/** The tooltip over the names column: a group header says what a click does, a lane names its process. */
export function gutterLines(row: Row | undefined, lanes: Lane[]): string[] | null {
  if (!row) return null;
  if (row.lane < 0) return [row.label, row.group === PINNED_GROUP ? 'P on a selected lane unpins it' : `click to ${row.folded ? 'open' : 'fold'} this group`];
  const l = lanes[row.lane];
  return [
    `${laneName(l)} ${l.pid} on ${l.node}`,
    l.module ? `module ${l.module}` : '',
    `${l.events.toLocaleString()} events · click to select, drag to move`,
  ].filter(Boolean);
}
