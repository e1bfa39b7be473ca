/**
 * Vertical layout of the timeline: group header rows and one lane per
 * process, plus the time <-> pixel mapping. Pure, so hit testing and drawing
 * share one source of truth.
 */
import type { Lane, LaneRange } from '../../../engine/views/timeline';

export const RULER_H = 24;
export const GUTTER_W = 170;
export const LANE_H = 30;
export const GROUP_H = 20;

export interface Row {
  y: number;
  h: number;
  /** Lane index, or -1 for a group header. */
  lane: number;
  label: string;
  /** The group's key: for a header, what folding it names; for a lane, the group it is shown in. */
  group?: string;
  folded?: boolean;
}

export interface Layout {
  rows: Row[];
  /** y of each lane (index into `lanes`), -1 when filtered out or folded. */
  laneY: Float64Array;
  /** Lane indices in display order. */
  order: number[];
  height: number;
}

export const PINNED_GROUP = 'Pinned';

export interface LaneOrder {
  /** Lane keys (`node|pid`) pinned to the top, in pin order. */
  pinned?: string[];
  /** Group keys shown as their header only. */
  folded?: Set<string>;
  /** Group rank: lower first (groups of equal rank keep their order). */
  rank?: (group: string) => number;
  /** Lane keys the user moved: within a group, these come first in this order, the others after in their given order. */
  order?: string[];
}

/**
 * Rows in display order: the pinned lanes first (their own group), then each
 * group by rank (its lanes in their given order); a folded group is its header
 * alone, with its lane count.
 */
export function layoutLanes(lanes: Lane[], visible: (l: Lane) => boolean, opts: LaneOrder = {}): Layout {
  const rows: Row[] = [];
  const laneY = new Float64Array(lanes.length).fill(-1);
  const order: number[] = [];
  const key = (l: Lane) => `${l.node}|${l.pid}`;
  const pinned = new Set(opts.pinned ?? []);
  const groups = new Map<string, number[]>();
  const pins: number[] = [];
  lanes.forEach((l, i) => {
    if (!visible(l)) return;
    if (pinned.has(key(l))) return void pins.push(i);
    const g = groups.get(l.group);
    if (g) g.push(i);
    else groups.set(l.group, [i]);
  });
  const pinOrder = opts.pinned ?? [];
  pins.sort((a, b) => pinOrder.indexOf(key(lanes[a])) - pinOrder.indexOf(key(lanes[b])));
  if (opts.order && opts.order.length > 0) {
    const at = new Map(opts.order.map((k, i) => [k, i]));
    for (const [g, members] of groups)
      groups.set(
        g,
        orderedMembers(members, (i) => at.get(key(lanes[i]))),
      );
  }
  const ranked = [...groups.entries()].map(([g, members], at) => ({ g, members, at, rank: opts.rank?.(g) ?? 0 }));
  ranked.sort((a, b) => a.rank - b.rank || a.at - b.at);
  let y = 0;
  const emit = (group: string, members: number[]) => {
    const folded = opts.folded?.has(group) ?? false;
    rows.push({ y, h: GROUP_H, lane: -1, label: folded ? `${group} (${members.length})` : group, group, folded });
    y += GROUP_H;
    if (folded) return;
    for (const i of members) {
      rows.push({ y, h: LANE_H, lane: i, label: lanes[i].name ?? lanes[i].pid, group });
      laneY[i] = y;
      order.push(i);
      y += LANE_H;
    }
  };
  if (pins.length > 0) emit(PINNED_GROUP, pins);
  for (const r of ranked) emit(r.g, r.members);
  return { rows, laneY, order, height: y };
}

/** `members` with those that have a position first (by position), the rest after in their order. */
function orderedMembers<T>(members: T[], position: (m: T) => number | undefined): T[] {
  const placed = members.filter((m) => position(m) !== undefined).sort((a, b) => position(a)! - position(b)!);
  return [...placed, ...members.filter((m) => position(m) === undefined)];
}

/**
 * The lane order after moving lane `key` before lane `before` (null: to the
 * end) within `group`: the group's lanes, in their current order with the move
 * applied, replace the group's entries in `order` (other groups' entries stay).
 * `groupKeys` are the group's lane keys in their given (unmoved) order.
 */
export function moveLane(order: string[], groupKeys: string[], key: string, before: string | null): string[] {
  const at = new Map(order.map((k, i) => [k, i]));
  const current = orderedMembers(groupKeys, (k) => at.get(k)).filter((k) => k !== key);
  const i = before === null ? -1 : current.indexOf(before);
  current.splice(i < 0 ? current.length : i, 0, key);
  const mine = new Set(groupKeys);
  return [...order.filter((k) => !mine.has(k)), ...current];
}

/** Lanes (indices into `lanes`) with any part in the vertical window, as a contiguous index range. */
export function visibleLaneRange(layout: Layout, scrollY: number, h: number): LaneRange {
  let from = Infinity;
  let to = -Infinity;
  for (const i of layout.order) {
    const y = layout.laneY[i];
    if (y + LANE_H < scrollY) continue;
    if (y > scrollY + h) break;
    from = Math.min(from, i);
    to = Math.max(to, i + 1);
  }
  return from === Infinity ? { from: 0, to: 0 } : { from, to };
}

export function laneAtY(layout: Layout, y: number): number {
  for (const r of layout.rows) if (y >= r.y && y < r.y + r.h) return r.lane;
  return -1;
}

/** A visible window in ns relative to the trace start. */
export interface View {
  start: number;
  end: number;
}

/** Zooms `v` by `factor` (< 1 zooms in) keeping the time under `anchor` (0..1 across the track) fixed. */
export function zoomView(v: View, factor: number, anchor: number, limits: { minWidth: number; maxWidth: number }): View {
  const w = v.end - v.start;
  const nw = Math.min(limits.maxWidth, Math.max(limits.minWidth, w * factor));
  const at = v.start + w * anchor;
  return { start: at - nw * anchor, end: at - nw * anchor + nw };
}

export function panView(v: View, dt: number): View {
  return { start: v.start + dt, end: v.end + dt };
}

/** Power of two (ns) no wider than one pixel: the SQL bucket for this zoom. */
export function bucketFor(nsPerPx: number): number {
  return Math.pow(2, Math.max(0, Math.floor(Math.log2(Math.max(1, nsPerPx)))));
}

/** A "nice" tick step (1, 2, 5 x 10^k ns) at least `minPx` pixels apart. */
export function tickStep(nsPerPx: number, minPx: number): number {
  const raw = nsPerPx * minPx;
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
  for (const m of [1, 2, 5, 10]) if (p * m >= raw) return p * m;
  return p * 10;
}

export function formatNs(ns: number, step = 0): string {
  const abs = Math.abs(ns);
  const unit = Math.max(abs, step);
  if (unit < 1e3) return `${Math.round(ns)} ns`;
  if (unit < 1e6) return `${trim(ns / 1e3, step / 1e3)} µs`;
  if (unit < 1e9) return `${trim(ns / 1e6, step / 1e6)} ms`;
  return `${trim(ns / 1e9, step / 1e9)} s`;
}

function trim(x: number, step: number): string {
  const digits = step > 0 ? Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9))) : 3;
  return x.toFixed(digits);
}
