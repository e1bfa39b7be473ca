/** What is under the pointer: an arrow, a mark (event or bucket), a span, or nothing. */
import { GUTTER_W, LANE_H, RULER_H, type Layout, type View } from './layout';
import type { Tile } from './tile';

export type Hit =
  | { type: 'arrow'; index: number }
  | { type: 'mark'; index: number; lane: number }
  | { type: 'span'; index: number; lane: number }
  | { type: 'lane'; lane: number }
  | null;

export function hitTest(tile: Tile | null, layout: Layout, view: View, width: number, scrollY: number, px: number, py: number): Hit {
  if (py < RULER_H || px < GUTTER_W) return null;
  const nsPerPx = (view.end - view.start) / Math.max(1, width - GUTTER_W);
  const xOf = (t: number) => GUTTER_W + (t - view.start) / nsPerPx;
  const yBody = py - RULER_H + scrollY;
  let lane = -1;
  for (const r of layout.rows) if (yBody >= r.y && yBody < r.y + r.h) lane = r.lane;
  if (!tile) return lane >= 0 ? { type: 'lane', lane } : null;

  // Arrows first: they cross lanes and are thin, so they win when close.
  const a = tile.arrows;
  let best = -1;
  let bestD = 4;
  for (let k = 0; k < a.count; k++) {
    const fy = layout.laneY[a.fromLane[k]];
    const ty = layout.laneY[a.toLane[k]];
    if (fy < 0 || ty < 0) continue;
    const d = segDist(px, py, xOf(a.sent[k]), RULER_H + fy - scrollY + 23, xOf(a.recv[k]), RULER_H + ty - scrollY + 23);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  if (best >= 0) return { type: 'arrow', index: best };
  if (lane < 0) return null;

  const inLane = yBody - layout.laneY[lane];
  const m = tile.marks;
  if (lane >= m.lanes.from && lane < m.lanes.to && inLane >= 14) {
    const li = lane - m.lanes.from;
    let near = -1;
    let nearD = 5;
    for (let k = m.laneRows[li * 2]; k < m.laneRows[li * 2 + 1]; k++) {
      const x0 = xOf(m.t[k]);
      const x1 = m.n[k] === 1 ? x0 : x0 + Math.max(1, m.bucket / nsPerPx);
      const d = px < x0 ? x0 - px : px > x1 ? px - x1 : 0;
      if (d < nearD) {
        nearD = d;
        near = k;
      }
    }
    if (near >= 0) return { type: 'mark', index: near, lane };
  }
  const s = tile.spans;
  const t = view.start + (px - GUTTER_W) * nsPerPx;
  let span = -1;
  for (let k = 0; k < s.count; k++) {
    // an instant (a call with no return traced, `no_return`) is a tick: within 3 px of it
    const slack = s.open[k] === 4 ? 3 * nsPerPx : 0;
    if (s.lane[k] !== lane || s.start[k] - slack > t || s.end[k] + slack < t) continue;
    const top = s.depth[k] === 0 ? 2 : 13;
    const bottom = s.depth[k] === 0 ? 12 : 18;
    if (inLane >= top && inLane <= bottom) span = k;
  }
  if (span >= 0) return { type: 'span', index: span, lane };
  return { type: 'lane', lane };
}

function segDist(px: number, py: number, x0: number, y0: number, x1: number, y1: number): number {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const u = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / len2));
  return Math.hypot(px - (x0 + u * dx), py - (y0 + u * dy));
}

export { LANE_H };
