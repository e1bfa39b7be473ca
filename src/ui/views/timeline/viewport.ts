/**
 * The timeline's viewport: which time window and which vertical slice of the
 * lanes the canvas shows, and how wheel input moves them. Pure functions, so
 * the clamps (zoom never wider than the trace, never before its start) are
 * tested in Node; Timeline.svelte holds the current values.
 */
import { GUTTER_W, RULER_H, panView, zoomView, type View } from './layout';

/** The narrowest window (ns): below this nothing more separates on screen. */
export const MIN_VIEW_NS = 200;

/** The margin each side of the whole trace (what Fit shows): 1% of its length. */
export const traceMargin = (traceLen: number) => traceLen * 0.01;

/** The widest window: the whole trace with its margins. */
export const maxViewWidth = (traceLen: number) => traceLen + 2 * traceMargin(traceLen) + 1;

/** The whole trace with its margins, so events at the edges show. */
export function fitView(traceLen: number): View {
  return { start: -traceMargin(traceLen), end: traceLen + traceMargin(traceLen) + 1 };
}

/** `v` kept between MIN_VIEW_NS and the widest window (narrowed around its centre), and inside the trace's margins. */
export function clampView(v: View, traceLen: number): View {
  const w = Math.min(Math.max(v.end - v.start, MIN_VIEW_NS), maxViewWidth(traceLen));
  let s = v.start + (v.end - v.start - w) / 2;
  const m = traceMargin(traceLen);
  s = Math.min(Math.max(s, -m), traceLen + m + 1 - w);
  return { start: s, end: s + w };
}

/** Width of the time track (the canvas right of the lane names). */
export const trackWidth = (width: number) => Math.max(1, width - GUTTER_W);

/** The time (ns since the trace start) under canvas x `px`. */
export function timeAt(view: View, width: number, px: number): number {
  return view.start + ((px - GUTTER_W) * (view.end - view.start)) / trackWidth(width);
}

/** The canvas x of time `t`. */
export function xAt(view: View, width: number, t: number): number {
  return GUTTER_W + ((t - view.start) * trackWidth(width)) / (view.end - view.start);
}

/** Zooms by `factor` (< 1 in) at canvas x `px` (the track's middle when null or over the names). */
export function zoomViewAt(view: View, factor: number, px: number | null, width: number, traceLen: number): View {
  const anchor = px === null || px < GUTTER_W ? 0.5 : (px - GUTTER_W) / trackWidth(width);
  return zoomView(view, factor, anchor, { minWidth: MIN_VIEW_NS, maxWidth: maxViewWidth(traceLen) });
}

/** Width of the lanes' scrollbar, right of the canvas. */
export const SCROLLBAR_W = 12;

/** The scrollbar's thumb (px from the track's top, and its height) for a scroll position; size 0 (no thumb) when every lane fits. */
export function scrollThumb(scrollY: number, contentHeight: number, height: number): { top: number; size: number } {
  const h = bodyHeight(height);
  const max = maxScroll(contentHeight, height);
  if (max <= 0 || h <= 0) return { top: 0, size: 0 };
  const size = Math.max(24, Math.min(h, (h * h) / (contentHeight + 8)));
  return { top: ((h - size) * Math.min(scrollY, max)) / max, size };
}

/** The scroll a thumb moved by `dy` px from `fromScroll` stands for. */
export function scrollForThumb(fromScroll: number, dy: number, contentHeight: number, height: number): number {
  const { size } = scrollThumb(0, contentHeight, height);
  const room = bodyHeight(height) - size;
  return room <= 0 ? 0 : clampScroll(fromScroll + (dy * maxScroll(contentHeight, height)) / room, contentHeight, height);
}

/** Lanes shown (not folded away) but scrolled out of view below, and the busiest of them (-1: none). */
export function lanesBelow(
  layout: { order: number[]; laneY: Float64Array },
  events: (lane: number) => number,
  laneH: number,
  scrollY: number,
  height: number,
): { count: number; busiest: number } {
  const bottom = scrollY + bodyHeight(height);
  let count = 0;
  let busiest = -1;
  for (const i of layout.order) {
    // A lane more than half hidden counts as below.
    if (layout.laneY[i] + laneH / 2 <= bottom) continue;
    count++;
    if (busiest < 0 || events(i) > events(busiest)) busiest = i;
  }
  return { count, busiest };
}

/** Height of the lanes' area (below the ruler). */
export const bodyHeight = (height: number) => height - RULER_H;

/** The furthest the lanes scroll: the last lane just above the bottom edge (plus a little room). */
export const maxScroll = (contentHeight: number, height: number) => Math.max(0, contentHeight - bodyHeight(height) + 8);

export function clampScroll(y: number, contentHeight: number, height: number): number {
  return Math.max(0, Math.min(y, maxScroll(contentHeight, height)));
}

/** The scroll that brings a lane at `y` (LANE_H tall) into view, a third from the top, or null when it is in view already. */
export function scrollToReveal(y: number, laneH: number, scrollY: number, height: number): number | null {
  const h = bodyHeight(height);
  if (y >= scrollY && y + laneH <= scrollY + h) return null;
  return y - h / 3;
}

export interface WheelInput {
  deltaX: number;
  deltaY: number;
  deltaMode: number;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

export type WheelAction = { zoom: number } | { pan: number; scroll: number };

/**
 * Perfetto's habit: the wheel scrolls the lanes (a sideways wheel or Shift+wheel pans in time),
 * Ctrl/⌘+wheel (and a trackpad pinch, which arrives as Ctrl+wheel) zooms at the pointer.
 * `pan` is in ns, `scroll` in px; `zoom` is the factor.
 */
export function wheelAction(e: WheelInput, view: View, width: number, height: number): WheelAction {
  const scale = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? height : 1;
  if (e.ctrlKey || e.metaKey) return { zoom: Math.exp(e.deltaY * scale * 0.0015) };
  const dx = e.shiftKey ? e.deltaY || e.deltaX : e.deltaX;
  const dy = e.shiftKey ? 0 : e.deltaY;
  return { pan: (dx * scale * (view.end - view.start)) / trackWidth(width), scroll: dy * scale };
}

/** The view after dragging the track by `dx` px from where the drag began. */
export function dragView(from: View, dx: number, width: number): View {
  return panView(from, (-dx * (from.end - from.start)) / trackWidth(width));
}
