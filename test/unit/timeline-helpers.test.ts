import { describe, expect, test } from 'vitest';
import { GROUP_H, GUTTER_W, LANE_H, PINNED_GROUP, RULER_H, layoutLanes, moveLane } from '../../src/ui/views/timeline/layout';
import {
  MIN_VIEW_NS,
  clampScroll,
  clampView,
  fitView,
  lanesBelow,
  maxViewWidth,
  scrollForThumb,
  scrollThumb,
  timeAt,
  wheelAction,
  xAt,
  zoomViewAt,
} from '../../src/ui/views/timeline/viewport';
import { keyCommand, keyStep } from '../../src/ui/views/timeline/keyboard';
import { TileScheduler, planTile, tileFits, type TileRequest } from '../../src/ui/views/timeline/tile-scheduler';
import { EDGE_PX, edgeScrollStep, gestureAt, laneDrop, lanesInArea } from '../../src/ui/views/timeline/pointer';
import { MESSAGE_COLUMNS, eventOfMessage, sortRows } from '../../src/ui/views/timeline/area-table';
import { encodeHash, parseHash } from '../../src/ui/lib/hash-state';
import type { AreaMessage, Lane } from '../../src/engine/views/timeline';

// The timeline's pure parts (src/ui/views/timeline/): viewport clamps, wheel and key mapping, tile
// planning and latest-wins scheduling, pointer gestures and lane order.

const lane = (pid: string, group: string, events = 1): Lane => ({ node: 'n', pid, name: null, module: null, initial: null, group, events });
const LANES = [lane('<0.1.0>', 'g1'), lane('<0.2.0>', 'g1'), lane('<0.3.0>', 'g1'), lane('<0.4.0>', 'g2'), lane('<0.5.0>', 'g2')];
const pidsOf = (order: number[]) => order.map((i) => LANES[i].pid);

describe('viewport', () => {
  const len = 1_000_000;
  test('a view is never wider than the trace with its margins, nor narrower than the minimum, nor outside the margins', () => {
    expect(clampView({ start: -5e6, end: 5e6 }, len)).toEqual(fitView(len));
    expect(fitView(len).end - fitView(len).start).toBe(maxViewWidth(len));
    const narrow = clampView({ start: 500, end: 510 }, len);
    expect(narrow.end - narrow.start).toBe(MIN_VIEW_NS);
    expect((narrow.start + narrow.end) / 2).toBe(505);
    expect(clampView({ start: -50_000, end: 50_000 }, len)).toEqual({ start: -10_000, end: 90_000 });
    expect(clampView({ start: 990_000, end: 1_090_000 }, len)).toEqual({ start: 910_001, end: 1_010_001 });
  });

  test('zooming keeps the time under the pointer in place, and the track middle over the names', () => {
    const v = { start: 0, end: 1000 };
    const px = GUTTER_W + 250;
    const z = zoomViewAt(v, 0.5, px, GUTTER_W + 1000, len);
    expect(timeAt(z, GUTTER_W + 1000, px)).toBeCloseTo(timeAt(v, GUTTER_W + 1000, px));
    expect(zoomViewAt({ start: 0, end: 10_000 }, 0.5, 10, GUTTER_W + 1000, len)).toEqual({ start: 2500, end: 7500 });
    expect(xAt(v, GUTTER_W + 1000, 400)).toBe(GUTTER_W + 400);
  });

  test('the wheel scrolls, Shift+wheel and a sideways wheel pan, Ctrl/⌘+wheel zooms; line and page deltas scale', () => {
    const v = { start: 0, end: 1000 };
    const w = GUTTER_W + 100;
    const base = { deltaX: 0, deltaY: 10, deltaMode: 0, ctrlKey: false, metaKey: false, shiftKey: false };
    expect(wheelAction(base, v, w, 500)).toEqual({ pan: 0, scroll: 10 });
    expect(wheelAction({ ...base, shiftKey: true }, v, w, 500)).toEqual({ pan: 100, scroll: 0 });
    expect(wheelAction({ ...base, deltaX: 5, deltaY: 0 }, v, w, 500)).toEqual({ pan: 50, scroll: 0 });
    expect(wheelAction({ ...base, deltaMode: 1 }, v, w, 500)).toEqual({ pan: 0, scroll: 160 });
    expect(wheelAction({ ...base, deltaMode: 2 }, v, w, 500)).toEqual({ pan: 0, scroll: 5000 });
    const zin = wheelAction({ ...base, deltaY: -100, ctrlKey: true }, v, w, 500);
    expect('zoom' in zin && zin.zoom < 1).toBe(true);
    const zout = wheelAction({ ...base, metaKey: true }, v, w, 500);
    expect('zoom' in zout && zout.zoom > 1).toBe(true);
  });

  test('scrolling stops at the top and a little past the last lane', () => {
    expect(clampScroll(-10, 1000, 400)).toBe(0);
    expect(clampScroll(5000, 1000, 400)).toBe(1000 - (400 - RULER_H) + 8);
    expect(clampScroll(50, 100, 400)).toBe(0);
  });
});

describe('the lanes scrollbar and the sign below', () => {
  test('the thumb is proportional, moves with the scroll, and dragging it by the free room scrolls to the end', () => {
    const h = 400 + RULER_H; // 400 px of lanes
    expect(scrollThumb(0, 300, h)).toEqual({ top: 0, size: 0 }); // everything fits: no thumb
    const t = scrollThumb(0, 1592, h);
    expect(t).toEqual({ top: 0, size: 100 });
    expect(scrollThumb(1200, 1592, h)).toEqual({ top: 300, size: 100 });
    expect(scrollThumb(600, 1592, h).top).toBe(150);
    expect(scrollForThumb(0, 150, 1592, h)).toBe(600);
    expect(scrollForThumb(0, 1000, 1592, h)).toBe(1200);
    expect(scrollForThumb(600, -1000, 1592, h)).toBe(0);
    expect(scrollThumb(0, 100_000, h).size).toBe(24);
  });
  test('lanes more than half below the bottom edge count, the busiest named (the first of equals)', () => {
    const layout = layoutLanes(LANES, () => true);
    const events = [5, 9, 9, 1, 7];
    const h = RULER_H + layout.laneY[1] + LANE_H / 2; // lane 1 exactly half shown
    expect(lanesBelow(layout, (i) => events[i], LANE_H, 0, h)).toEqual({ count: 3, busiest: 2 });
    expect(lanesBelow(layout, (i) => events[i], LANE_H, 1000, h)).toEqual({ count: 0, busiest: -1 });
    expect(lanesBelow(layout, (i) => events[i], LANE_H, layout.laneY[3] - 40, h)).toEqual({ count: 1, busiest: 4 });
  });
});

describe('keys', () => {
  const k = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
    key,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    ...mods,
  });
  test('WASD, F, P, ? and Escape, not in a text field nor with a modifier', () => {
    expect(['w', 'A', 's', 'D', 'f', 'P', '?', 'Escape', 'x'].map((key) => keyCommand(k(key), false))).toEqual([
      'w',
      'a',
      's',
      'd',
      'fit',
      'pin',
      'help',
      'escape',
      null,
    ]);
    expect(keyCommand(k('w'), true)).toBe(null);
    expect(keyCommand(k('w', { ctrlKey: true }), false)).toBe(null);
    expect(keyCommand(k('f', { metaKey: true }), false)).toBe(null);
  });
  test('held keys: W zooms in, S out, A/D pan by a fraction of the window', () => {
    expect(keyStep(new Set(['w']), 0.1).zoom).toBeLessThan(1);
    expect(keyStep(new Set(['s']), 0.1).zoom).toBeGreaterThan(1);
    expect(keyStep(new Set(['w', 's']), 0.1).zoom).toBeCloseTo(1);
    expect(keyStep(new Set(['a']), 0.1).pan).toBeCloseTo(-0.12);
    expect(keyStep(new Set(['d', 'w']), 0.1)).toMatchObject({ pan: expect.closeTo(0.12) });
  });
});

describe('tiles', () => {
  const view = { start: 1000, end: 2000 };
  test('a planned tile covers the view widened by its width each side at a bucket no wider than a pixel', () => {
    const p = planTile(view, GUTTER_W + 100, 5, { from: 0, to: 5 }, 1);
    expect(p.bucket).toBe(8);
    expect(p.start).toBeLessThanOrEqual(0);
    expect(p.end).toBeGreaterThanOrEqual(3000);
    expect(p.lanes).toEqual({ from: 0, to: 5 });
    expect(tileFits(p, view, 8, { from: 0, to: 5 }, 1)).toBe(true);
    expect(tileFits(p, view, 8, { from: 0, to: 5 }, 2)).toBe(false);
    expect(tileFits(p, view, 64, { from: 0, to: 5 }, 1)).toBe(false);
    expect(tileFits(p, { start: 1000, end: 4000 }, 8, { from: 0, to: 5 }, 1)).toBe(false);
    const many = planTile(view, GUTTER_W + 100, 1000, { from: 400, to: 420 }, 1);
    expect(many.lanes).toEqual({ from: 340, to: 480 });
  });

  test('latest request wins: an older answer arriving last is dropped, a covered view asks nothing', async () => {
    const asked: TileRequest[] = [];
    const answers: ((t: { marks: TileRequest; id: number }) => void)[] = [];
    let applied = 0;
    const s = new TileScheduler<{ marks: TileRequest; id: number }>(
      (req) => {
        asked.push(req);
        return new Promise((r) => answers.push(r));
      },
      () => 1,
      () => applied++,
      () => {},
    );
    s.ensure(view, GUTTER_W + 100, 5, () => ({ from: 0, to: 5 }));
    s.ensure(view, GUTTER_W + 100, 5, () => ({ from: 0, to: 5 }));
    expect(asked).toHaveLength(1);
    s.ensure({ start: 100_000, end: 101_000 }, GUTTER_W + 100, 5, () => ({ from: 0, to: 5 }));
    expect(asked).toHaveLength(2);
    answers[1]({ marks: asked[1], id: 2 });
    await Promise.resolve();
    answers[0]({ marks: asked[0], id: 1 });
    await new Promise((r) => setTimeout(r, 0));
    expect(s.current(1)?.id).toBe(2);
    expect(s.current(2)).toBe(null);
    expect(applied).toBe(1);
  });

  test('forget drops the cached tile but not the request in flight: the same view is not asked again', async () => {
    const asked: TileRequest[] = [];
    const answers: ((t: { marks: TileRequest }) => void)[] = [];
    const s = new TileScheduler<{ marks: TileRequest }>(
      (req) => {
        asked.push(req);
        return new Promise((r) => answers.push(r));
      },
      () => 1,
      () => {},
      () => {},
    );
    const view = { start: 0, end: 1000 };
    const ensure = () => s.ensure(view, GUTTER_W + 100, 5, () => ({ from: 0, to: 5 }));
    ensure();
    answers[0]({ marks: asked[0] });
    await new Promise((r) => setTimeout(r, 0));
    s.reset();
    ensure(); // a second request, in flight
    expect(asked).toHaveLength(2);
    s.forget();
    ensure();
    expect(asked).toHaveLength(2);
    expect(s.current(1)).toBe(null);
    s.reset();
    ensure();
    expect(asked).toHaveLength(3);
  });
});

describe('pointer and lane order', () => {
  const layout = layoutLanes(LANES, () => true, { pinned: ['n|<0.5.0>'] });
  test('a press on a name moves the lane, Shift+press on the track selects an area, else it pans', () => {
    const y = RULER_H + layout.laneY[1] + 5;
    expect(gestureAt(layout, 0, 10, y, false)).toBe('lane');
    expect(gestureAt(layout, 0, 10, RULER_H + 5, false)).toBe('pan'); // a group header
    expect(gestureAt(layout, 0, GUTTER_W + 10, y, true)).toBe('area');
    expect(gestureAt(layout, 0, GUTTER_W + 10, y, false)).toBe('pan');
  });
  test('an area covers the lanes its rows touch', () => {
    const y0 = RULER_H + layout.laneY[0] + 1;
    const y1 = RULER_H + layout.laneY[1] + 1;
    expect(pidsOf(lanesInArea(layout, { x0: 200, x1: 300, y0, y1 }, 0))).toEqual(['<0.1.0>', '<0.2.0>']);
    expect(lanesInArea(layout, { x0: 200, x1: 300, y0: y1, y1: y1 + 1 }, 0)).toEqual([1]);
  });
  test('a dragged lane lands before the first lane of its group whose middle is below the pointer', () => {
    expect(laneDrop(layout, 2, layout.laneY[0] + 5)).toMatchObject({ group: 'g1', before: 0 });
    expect(laneDrop(layout, 0, layout.laneY[2] + LANE_H - 2)).toMatchObject({ group: 'g1', before: -1, y: layout.laneY[2] + LANE_H });
    // Another group's rows do not take it: below its group it goes last in its group.
    expect(laneDrop(layout, 0, layout.laneY[3] + 5)).toMatchObject({ group: 'g1', before: -1 });
    expect(laneDrop(layout, 4, 0)).toMatchObject({ group: PINNED_GROUP, before: 4 });
  });
  test('moved lanes come first in their group in the order given; moving rewrites only that group', () => {
    const g1 = ['n|<0.1.0>', 'n|<0.2.0>', 'n|<0.3.0>'];
    let order = moveLane([], g1, 'n|<0.3.0>', 'n|<0.1.0>');
    expect(order).toEqual(['n|<0.3.0>', 'n|<0.1.0>', 'n|<0.2.0>']);
    order = moveLane(order, ['n|<0.4.0>', 'n|<0.5.0>'], 'n|<0.4.0>', null);
    expect(order).toEqual(['n|<0.3.0>', 'n|<0.1.0>', 'n|<0.2.0>', 'n|<0.5.0>', 'n|<0.4.0>']);
    order = moveLane(order, g1, 'n|<0.3.0>', null);
    expect(order).toEqual(['n|<0.5.0>', 'n|<0.4.0>', 'n|<0.1.0>', 'n|<0.2.0>', 'n|<0.3.0>']);
    const l = layoutLanes(LANES, () => true, { order: ['n|<0.3.0>', 'n|<0.5.0>'] });
    expect(pidsOf(l.order)).toEqual(['<0.3.0>', '<0.1.0>', '<0.2.0>', '<0.5.0>', '<0.4.0>']);
    expect(l.rows.map((r) => r.h)).toEqual([GROUP_H, LANE_H, LANE_H, LANE_H, GROUP_H, LANE_H, LANE_H]);
  });
  test('the lane order is in the URL hash, one lane per line, and reads back', () => {
    const h = parseHash('#a=demo.zip&fold=');
    expect(h.order).toEqual([]);
    const order = ['n|<0.3.0>', 'n|<0.1.0>'];
    const text = encodeHash({ ...h, order });
    expect(new URLSearchParams(text).get('order')).toBe('n|<0.3.0>\nn|<0.1.0>');
    expect(parseHash(text).order).toEqual(order);
    expect(new URLSearchParams(encodeHash({ ...h, order: [] })).has('order')).toBe(false);
  });
});

describe('a lane dragged near an edge', () => {
  test('scrolls up near the top, down near the bottom, faster the nearer (and past) the edge, not in the middle', () => {
    const h = 600;
    expect(edgeScrollStep(300, h)).toBe(0);
    expect(edgeScrollStep(RULER_H + EDGE_PX, h)).toBe(0);
    expect(edgeScrollStep(h - EDGE_PX, h)).toBe(0);
    expect(edgeScrollStep(RULER_H + 2, h)).toBeLessThan(0);
    expect(edgeScrollStep(h - 2, h)).toBeGreaterThan(0);
    expect(edgeScrollStep(h - 2, h)).toBeGreaterThan(edgeScrollStep(h - EDGE_PX + 4, h));
    expect(edgeScrollStep(h + 50, h)).toBe(edgeScrollStep(h, h)); // past the edge (pointer captured): the fastest
    expect(edgeScrollStep(-40, h)).toBe(-edgeScrollStep(h + 50, h));
  });
});

describe('area tables', () => {
  const msg = (sendSeq: number | null, recvSeq: number | null, sent: number | null, received: number | null): AreaMessage => ({
    sendSeq,
    recvSeq,
    fromNode: 'n',
    fromPid: '<0.1.0>',
    fromName: null,
    toNode: 'n',
    toPid: '<0.2.0>',
    toName: 'B',
    msg: ':x',
    sent,
    received,
  });
  const rows = [msg(1, 2, 10, 20), msg(3, null, 30, null), msg(null, 4, null, 5), msg(5, 6, 10, 12)];
  const col = (key: string) => MESSAGE_COLUMNS.find((c) => c.key === key)!;
  test('sorting is stable, both ways, with missing values last', () => {
    expect(sortRows(rows, col('sent'), 'asc').map((r) => r.sendSeq)).toEqual([1, 5, 3, null]);
    expect(sortRows(rows, col('sent'), 'desc').map((r) => r.sendSeq)).toEqual([3, 1, 5, null]);
    expect(sortRows(rows, col('received'), 'desc').map((r) => r.recvSeq)).toEqual([2, 6, 4, null]);
    expect(sortRows(rows, col('to'), 'asc')).toEqual(rows);
  });
  test('a message row selects its receive, else its send', () => {
    expect(eventOfMessage(rows[0])).toEqual({ seq: 2, t: 20, node: 'n', pid: '<0.2.0>' });
    expect(eventOfMessage(rows[1])).toEqual({ seq: 3, t: 30, node: 'n', pid: '<0.1.0>' });
    expect(MESSAGE_COLUMNS.map((c) => c.text(rows[1]))).toEqual(['<0.1.0>', 'B <0.2.0>', ':x', '30 ns', '—']);
  });
});
