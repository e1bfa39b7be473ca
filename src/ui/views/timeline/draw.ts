/**
 * Draws one timeline frame from cached tiles. Per-frame work is a few linear
 * passes over the cached (already decimated) rows with culling, batched into
 * one path per colour, so a frame costs the same at 1k or 1M events.
 */
import { MARK_CLASSES } from './kinds';
import { GUTTER_W, LANE_H, RULER_H, formatNs, tickStep, type Layout, type View } from './layout';
import type { Lane } from '../../../engine/views/timeline';
import { ORIGIN } from '../../../engine/views/signal-origin';
import type { Tile } from './tile';
import { elideToWidth } from '../../lib/elide';

export interface Palette {
  bg: string;
  fg: string;
  muted: string;
  panel: string;
  border: string;
  accent: string;
  marks: string[];
  arrow: string;
  /** A signal's arrow (drawn dashed). */
  signal: string;
  span: string;
}

/** Reads the theme's CSS variables (so dark/light and any later theme switch apply on the next frame). */
export function readPalette(el: Element): Palette {
  const cs = getComputedStyle(el);
  const v = (name: string, dflt: string) => cs.getPropertyValue(name).trim() || dflt;
  const p = {
    bg: v('--bg', '#fff'),
    fg: v('--fg', '#111'),
    muted: v('--muted', '#6b7280'),
    panel: v('--panel', '#f3f4f6'),
    border: v('--border', '#d1d5db'),
    accent: v('--accent', '#7c3aed'),
    ok: v('--ok', '#059669'),
    bad: v('--bad', '#dc2626'),
  };
  const byClass: Record<(typeof MARK_CLASSES)[number], string> = {
    bad: p.bad,
    life: p.ok,
    call: p.accent,
    send: v('--tl-send', '#3b82f6'),
    receive: v('--tl-receive', '#f59e0b'),
    other: p.muted,
  };
  return { ...p, marks: MARK_CLASSES.map((c) => byClass[c]), arrow: v('--tl-arrow', p.muted), signal: v('--signal', '#be185d'), span: p.accent };
}

export interface Frame {
  ctx: CanvasRenderingContext2D;
  width: number;
  height: number;
  palette: Palette;
  view: View;
  scrollY: number;
  layout: Layout;
  lanes: Lane[];
  tile: Tile | null;
  cursor: number | null;
  selected: { lane: number; t: number } | null;
  selectedArrow: number | null;
  hoverArrow: number | null;
  area: { x0: number; x1: number; y0: number; y1: number } | null;
  chosen: Set<number>;
  selectedLane: number;
  /** A lane being moved by its name: the lane, and where it would land (body y). */
  laneDrag?: { lane: number; dropY: number } | null;
}

// Scratch buffers reused across frames (x, y, w, h per rect) so a frame allocates nothing big.
let scratch = new Float32Array(4 * 4096);
const counts = new Int32Array(MARK_CLASSES.length);

export function drawFrame(f: Frame): void {
  const { ctx, width, height, palette: pal, view, scrollY, layout, lanes, tile } = f;
  const trackW = Math.max(1, width - GUTTER_W);
  const nsPerPx = (view.end - view.start) / trackW;
  const xOf = (t: number) => GUTTER_W + (t - view.start) / nsPerPx;
  const bodyH = height - RULER_H;

  ctx.fillStyle = pal.bg;
  ctx.fillRect(0, 0, width, height);

  // Lane backgrounds and group headers.
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, RULER_H, width, bodyH);
  ctx.clip();
  for (const r of layout.rows) {
    const y = RULER_H + r.y - scrollY;
    if (y + r.h < RULER_H || y > height) continue;
    if (r.lane < 0) {
      ctx.fillStyle = pal.panel;
      ctx.fillRect(0, y, width, r.h);
    } else if (r.lane === f.selectedLane) {
      ctx.globalAlpha = 0.08;
      ctx.fillStyle = pal.accent;
      ctx.fillRect(0, y, width, r.h);
      ctx.globalAlpha = 1;
    }
    ctx.fillStyle = pal.border;
    ctx.fillRect(0, y + r.h - 1, width, 1);
  }

  // Body, clipped to the track.
  ctx.save();
  ctx.beginPath();
  ctx.rect(GUTTER_W, RULER_H, trackW, bodyH);
  ctx.clip();
  if (tile) {
    drawSpans(f, xOf, nsPerPx);
    drawMarks(f, xOf, nsPerPx);
    drawArrows(f, xOf);
  }
  if (f.selected && layout.laneY[f.selected.lane] >= 0) {
    const x = xOf(f.selected.t);
    const y = RULER_H + layout.laneY[f.selected.lane] - scrollY;
    ctx.strokeStyle = pal.fg;
    ctx.lineWidth = 2;
    ctx.strokeRect(x - 4, y + 2, 8, LANE_H - 5);
    ctx.lineWidth = 1;
  }
  if (f.cursor !== null) {
    const x = Math.round(xOf(f.cursor)) + 0.5;
    ctx.strokeStyle = pal.accent;
    ctx.beginPath();
    ctx.moveTo(x, RULER_H);
    ctx.lineTo(x, height);
    ctx.stroke();
  }
  if (f.area) {
    const { x0, x1, y0, y1 } = f.area;
    ctx.fillStyle = pal.accent;
    ctx.globalAlpha = 0.12;
    ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    ctx.globalAlpha = 1;
    ctx.strokeStyle = pal.accent;
    ctx.strokeRect(Math.min(x0, x1) + 0.5, Math.min(y0, y1) + 0.5, Math.abs(x1 - x0), Math.abs(y1 - y0));
  }
  ctx.restore();

  // Gutter labels.
  ctx.fillStyle = pal.bg;
  ctx.fillRect(0, RULER_H, GUTTER_W, bodyH);
  ctx.textBaseline = 'middle';
  for (const r of layout.rows) {
    const y = RULER_H + r.y - scrollY;
    if (y + r.h < RULER_H || y > height) continue;
    if (r.lane < 0) {
      ctx.fillStyle = pal.panel;
      ctx.fillRect(0, y, GUTTER_W, r.h);
      ctx.fillStyle = pal.muted;
      ctx.font = '600 11px system-ui, sans-serif';
      ctx.fillText(clip(ctx, `${r.folded ? '▸' : '▾'} ${r.label}`, width - 12), 6, y + r.h / 2);
      continue;
    }
    const lane = lanes[r.lane];
    if (r.lane === f.selectedLane) {
      ctx.fillStyle = pal.accent;
      ctx.fillRect(0, y, 3, r.h - 1);
    }
    ctx.fillStyle = f.chosen.has(r.lane) ? pal.accent : pal.fg;
    ctx.font = '12px system-ui, sans-serif';
    const name = lane.name ?? lane.pid;
    // (a long name loses its middle: `{:via, Registry, {MyApp.Reg, key}}` keeps its key)
    ctx.fillText(clip(ctx, name, GUTTER_W - 14, true), 10, y + 10);
    ctx.fillStyle = pal.muted;
    ctx.font = '10px ui-monospace, monospace';
    const sub = lane.name ? `${lane.pid} · ${lane.events.toLocaleString()} ev` : `${lane.initial ?? lane.module ?? ''} · ${lane.events.toLocaleString()} ev`;
    ctx.fillText(clip(ctx, sub, GUTTER_W - 14), 10, y + 22);
    ctx.fillStyle = pal.border;
    ctx.fillRect(0, y + r.h - 1, GUTTER_W, 1);
  }
  ctx.fillStyle = pal.border;
  ctx.fillRect(GUTTER_W - 1, RULER_H, 1, bodyH);
  if (f.laneDrag) {
    const from = layout.laneY[f.laneDrag.lane];
    if (from >= 0) {
      ctx.globalAlpha = 0.12;
      ctx.fillStyle = pal.accent;
      ctx.fillRect(0, RULER_H + from - scrollY, width, LANE_H);
      ctx.globalAlpha = 1;
    }
    ctx.fillStyle = pal.accent;
    ctx.fillRect(0, RULER_H + f.laneDrag.dropY - scrollY - 1, width, 3);
  }
  ctx.restore();

  drawRuler(f, xOf, nsPerPx, trackW);
}

function drawMarks(f: Frame, xOf: (t: number) => number, nsPerPx: number): void {
  const { ctx, layout, scrollY, height, palette: pal } = f;
  const m = f.tile!.marks;
  const laneCount = m.lanes.to - m.lanes.from;
  const need = m.count * 4;
  if (scratch.length < need * MARK_CLASSES.length) scratch = new Float32Array(need * MARK_CLASSES.length);
  counts.fill(0);
  const stride = m.count * 4;
  const logMax = Math.log(m.maxN + 1);
  const markTop = 19;
  const markH = 9;
  const tMin = f.view.start - nsPerPx * 4;
  const tMax = f.view.end;
  for (let li = 0; li < laneCount; li++) {
    const lane = m.lanes.from + li;
    const ly = layout.laneY[lane];
    if (ly < 0) continue;
    const y = RULER_H + ly - scrollY;
    if (y + LANE_H < RULER_H || y > height) continue;
    const a = m.laneRows[li * 2];
    const b = m.laneRows[li * 2 + 1];
    for (let k = lo(m.t, a, b, tMin - m.bucket); k < b; k++) {
      const t = m.t[k];
      if (t > tMax) break;
      const n = m.n[k];
      const x = xOf(t);
      const w = n === 1 ? 2 : Math.max(1, m.bucket / nsPerPx);
      const h = n === 1 ? markH : Math.max(3, markH * (0.35 + (0.65 * Math.log(n + 1)) / logMax));
      const c = m.cls[k];
      const o = c * stride + counts[c] * 4;
      scratch[o] = n === 1 ? x - 1 : x;
      scratch[o + 1] = y + markTop + (markH - h);
      scratch[o + 2] = w;
      scratch[o + 3] = h;
      counts[c]++;
    }
  }
  for (let c = 0; c < MARK_CLASSES.length; c++) {
    if (counts[c] === 0) continue;
    ctx.fillStyle = pal.marks[c];
    ctx.beginPath();
    const base = c * stride;
    for (let i = 0; i < counts[c]; i++) {
      const o = base + i * 4;
      ctx.rect(scratch[o], scratch[o + 1], scratch[o + 2], scratch[o + 3]);
    }
    ctx.fill();
  }
}

/** First index in [a, b) with t[k] >= x (t sorted within a lane). */
function lo(t: Float64Array, a: number, b: number, x: number): number {
  while (a < b) {
    const mid = (a + b) >> 1;
    if (t[mid] < x) a = mid + 1;
    else b = mid;
  }
  return a;
}

function drawSpans(f: Frame, xOf: (t: number) => number, nsPerPx: number): void {
  const { ctx, layout, scrollY, height, palette: pal, width } = f;
  const s = f.tile!.spans;
  const labels: number[] = [];
  ctx.fillStyle = pal.span;
  for (const deep of [0, 1]) {
    ctx.globalAlpha = deep ? 0.55 : 0.28;
    ctx.beginPath();
    for (let k = 0; k < s.count; k++) {
      if ((s.depth[k] > 0 ? 1 : 0) !== deep || s.open[k] === 4) continue;
      const ly = layout.laneY[s.lane[k]];
      if (ly < 0) continue;
      const y = RULER_H + ly - scrollY;
      if (y + LANE_H < RULER_H || y > height) continue;
      const x0 = Math.max(GUTTER_W - 2, xOf(s.start[k]));
      const x1 = Math.min(width + 2, xOf(s.end[k]));
      if (x1 < GUTTER_W || x0 > width) continue;
      const w = Math.max(1, x1 - x0);
      if (deep) ctx.rect(x0, y + 13 + Math.min(2, s.depth[k] - 1), w, 3);
      else {
        ctx.rect(x0, y + 2, w, 10);
        if (w > 36) labels.push(k);
      }
    }
    ctx.fill();
  }
  // A call of a function traced without returns (`no_return`): an instant, its duration unknown, drawn as a tick
  // the height of its band, never a bar.
  ctx.globalAlpha = 0.9;
  ctx.beginPath();
  for (let k = 0; k < s.count; k++) {
    if (s.open[k] !== 4) continue;
    const ly = layout.laneY[s.lane[k]];
    const x = xOf(s.start[k]);
    if (ly < 0 || x < GUTTER_W || x > width) continue;
    const y = RULER_H + ly - scrollY;
    if (y + LANE_H < RULER_H || y > height) continue;
    if (s.depth[k] > 0) ctx.rect(x - 0.75, y + 12, 1.5, 6);
    else ctx.rect(x - 0.75, y + 1, 1.5, 12);
  }
  ctx.fill();
  ctx.globalAlpha = 1;
  // A call ended by a later read of its state (`untraced`, an upper bound) or where the recorder began dropping events
  // on its node (`in_drop`, a lower bound: its return may be among them): its end is not its return, drawn dotted.
  ctx.strokeStyle = pal.fg;
  ctx.lineWidth = 1.5;
  ctx.setLineDash([2, 2]);
  ctx.beginPath();
  for (let k = 0; k < s.count; k++) {
    if (s.open[k] < 2 || s.open[k] > 3 || s.depth[k] > 0) continue;
    const ly = layout.laneY[s.lane[k]];
    const x1 = xOf(s.end[k]);
    if (ly < 0 || x1 < GUTTER_W || x1 > width) continue;
    const y = RULER_H + ly - scrollY;
    if (y + LANE_H < RULER_H || y > height) continue;
    ctx.moveTo(x1, y + 1);
    ctx.lineTo(x1, y + 13);
  }
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.lineWidth = 1;
  ctx.fillStyle = pal.fg;
  ctx.font = '9.5px ui-monospace, monospace';
  ctx.textBaseline = 'middle';
  for (const k of labels) {
    const y = RULER_H + layout.laneY[s.lane[k]] - scrollY;
    const x0 = Math.max(GUTTER_W, xOf(s.start[k]));
    const x1 = Math.min(width, xOf(s.end[k]));
    ctx.fillText(clip(ctx, shortMfa(s.mfa[k]), x1 - x0 - 6), x0 + 3, y + 7.5);
  }
  void nsPerPx;
}

/** Signals' arrows are dashed: `[]` for a send's, the dash for a signal's. */
const SIGNAL_DASH = [4, 3];

function drawArrows(f: Frame, xOf: (t: number) => number): void {
  const { ctx, layout, scrollY, height, palette: pal } = f;
  const a = f.tile!.arrows;
  // Two batches: messages (solid), then signals (dashed, their own colour) over them.
  for (const signal of [false, true]) {
    const heads: number[] = [];
    ctx.strokeStyle = signal ? pal.signal : pal.arrow;
    ctx.setLineDash(signal ? SIGNAL_DASH : []);
    ctx.globalAlpha = signal ? 0.9 : 0.7;
    ctx.beginPath();
    for (let k = 0; k < a.count; k++) {
      if ((a.origin[k] !== ORIGIN.send) !== signal) continue;
      const fy = layout.laneY[a.fromLane[k]];
      const ty = layout.laneY[a.toLane[k]];
      if (fy < 0 || ty < 0) continue;
      const y0 = RULER_H + fy - scrollY + 23;
      const y1 = RULER_H + ty - scrollY + 23;
      if ((y0 < RULER_H && y1 < RULER_H) || (y0 > height && y1 > height)) continue;
      const x0 = xOf(a.sent[k]);
      const x1 = xOf(a.recv[k]);
      if ((x0 < GUTTER_W && x1 < GUTTER_W) || (x0 > f.width && x1 > f.width)) continue;
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      heads.push(x0, y0, x1, y1);
    }
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = signal ? pal.signal : pal.arrow;
    ctx.beginPath();
    for (let i = 0; i < heads.length; i += 4) arrowHead(ctx, heads[i], heads[i + 1], heads[i + 2], heads[i + 3]);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  for (const k of [f.hoverArrow, f.selectedArrow]) {
    if (k === null || k >= a.count) continue;
    const fy = layout.laneY[a.fromLane[k]];
    const ty = layout.laneY[a.toLane[k]];
    if (fy < 0 || ty < 0) continue;
    const x0 = xOf(a.sent[k]);
    const y0 = RULER_H + fy - scrollY + 23;
    const x1 = xOf(a.recv[k]);
    const y1 = RULER_H + ty - scrollY + 23;
    ctx.strokeStyle = pal.accent;
    ctx.fillStyle = pal.accent;
    ctx.lineWidth = 2;
    ctx.setLineDash(a.origin[k] === ORIGIN.send ? [] : SIGNAL_DASH);
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.beginPath();
    arrowHead(ctx, x0, y0, x1, y1);
    ctx.fill();
    ctx.lineWidth = 1;
  }
}

function arrowHead(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  const ang = Math.atan2(y1 - y0, x1 - x0);
  const s = 6;
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - s * Math.cos(ang - 0.4), y1 - s * Math.sin(ang - 0.4));
  ctx.lineTo(x1 - s * Math.cos(ang + 0.4), y1 - s * Math.sin(ang + 0.4));
  ctx.closePath();
}

function drawRuler(f: Frame, xOf: (t: number) => number, nsPerPx: number, trackW: number): void {
  const { ctx, palette: pal, width, view } = f;
  ctx.fillStyle = pal.panel;
  ctx.fillRect(0, 0, width, RULER_H);
  ctx.fillStyle = pal.border;
  ctx.fillRect(0, RULER_H - 1, width, 1);
  const step = tickStep(nsPerPx, 90);
  ctx.fillStyle = pal.muted;
  ctx.font = '10.5px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.beginPath();
  for (let t = Math.ceil(view.start / step) * step; t <= view.end; t += step) {
    const x = Math.round(xOf(t)) + 0.5;
    if (x < GUTTER_W) continue;
    ctx.rect(x, RULER_H - 7, 1, 6);
    ctx.fillText(formatNs(t, step), x + 3, RULER_H / 2 - 2);
  }
  ctx.fill();
  ctx.fillStyle = pal.panel;
  ctx.fillRect(0, 0, GUTTER_W, RULER_H - 1);
  ctx.fillStyle = pal.muted;
  ctx.fillText(`${formatNs(view.end - view.start)} visible`, 8, RULER_H / 2);
  if (f.cursor !== null) {
    const x = xOf(f.cursor);
    if (x >= GUTTER_W && x <= GUTTER_W + trackW) {
      ctx.fillStyle = pal.accent;
      ctx.beginPath();
      ctx.moveTo(x - 5, RULER_H - 8);
      ctx.lineTo(x + 5, RULER_H - 8);
      ctx.lineTo(x, RULER_H - 1);
      ctx.fill();
    }
  }
}

const clipCache = new Map<string, string>();
/** \`text\` fitted to \`maxW\` px, cut at its end, or with \`middle\` in its middle (elideToWidth: the tail that tells names apart kept). */
function clip(ctx: CanvasRenderingContext2D, text: string, maxW: number, middle = false): string {
  if (maxW <= 8) return '';
  const key = `${middle ? 'm' : 'e'}|${ctx.font}|${Math.round(maxW)}|${text}`;
  const hit = clipCache.get(key);
  if (hit !== undefined) return hit;
  let out = text.length > 200 ? text.slice(0, 200) : text;
  if (middle) out = elideToWidth(out, maxW, (t) => ctx.measureText(t).width);
  else if (ctx.measureText(out).width > maxW) {
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(out.slice(0, mid) + '…').width <= maxW) lo = mid;
      else hi = mid - 1;
    }
    out = out.slice(0, lo) + '…';
  }
  if (clipCache.size > 5000) clipCache.clear();
  clipCache.set(key, out);
  return out;
}

/** `MyApp.WorkerA.handle_info/2` -> `WorkerA.handle_info/2`: the part that tells spans apart. */
function shortMfa(mfa: string): string {
  const m = mfa.match(/([^.]+\.[^.]+\/\d+)$/);
  return m ? m[1] : mfa;
}
