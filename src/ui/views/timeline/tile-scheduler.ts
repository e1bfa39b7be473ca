/**
 * Which tile the timeline needs and when to ask the engine for it. A pan or
 * zoom frame draws from the cached tile; a new one is asked for only when the
 * cached tile (or the one in flight) no longer covers the view: the window
 * moved out of it, the lanes in view are outside its lane range, or its bucket
 * is off by more than 4x. Requests are latest-wins: an older answer arriving
 * after a newer one was applied is dropped, so input never waits for a query.
 */
import { bucketFor, type View } from './layout';
import type { LaneRange } from '../../../engine/views/timeline';
import { trackWidth } from './viewport';

/** Up to this many lanes a tile covers them all; beyond, the lanes in view and a margin. */
export const ALL_LANES_UP_TO = 300;
const LANE_MARGIN = 60;

export interface TileRequest {
  bucket: number;
  start: number;
  end: number;
  lanes: LaneRange;
  gen: number;
}

/** Whether a tile (or request) `t` covers `view` and the lanes `vis` at bucket `want`, for load `gen`. */
export function tileFits(t: TileRequest, view: View, want: number, vis: LaneRange, gen: number): boolean {
  return (
    t.gen === gen && t.bucket <= want && t.bucket * 4 >= want && t.start <= view.start && t.end >= view.end && t.lanes.from <= vis.from && t.lanes.to >= vis.to
  );
}

/** The lanes a tile must cover: all of a small trace's, else the visible ones. */
export function lanesInView(laneCount: number, visible: () => LaneRange): LaneRange {
  return laneCount <= ALL_LANES_UP_TO ? { from: 0, to: laneCount } : visible();
}

/**
 * The tile to ask for: a bucket no wider than a pixel, the window widened by
 * its width each side (so a pan does not refetch at once), and the lanes in
 * view with a margin.
 */
export function planTile(view: View, width: number, laneCount: number, vis: LaneRange, gen: number): TileRequest {
  const bucket = bucketFor((view.end - view.start) / trackWidth(width));
  const w = view.end - view.start;
  const lanes =
    laneCount <= ALL_LANES_UP_TO ? { from: 0, to: laneCount } : { from: Math.max(0, vis.from - LANE_MARGIN), to: Math.min(laneCount, vis.to + LANE_MARGIN) };
  return { bucket, start: Math.floor((view.start - w) / bucket) * bucket, end: Math.ceil((view.end + w) / bucket) * bucket, lanes, gen };
}

export interface Coverage {
  marks: { bucket: number; start: number; end: number; lanes: LaneRange };
}

/**
 * The cached tile and the request in flight. `fetch` runs one request (the
 * engine call, keyed so the bridge drops superseded ones); `applied` is told
 * of each tile that becomes current (after which it calls `ensure` again: the view may have moved meanwhile).
 */
export class TileScheduler<T extends Coverage> {
  tile: T | null = null;
  tileGen = -1;
  #inflight: TileRequest | null = null;
  #issued = 0;
  #applied = 0;

  constructor(
    private readonly fetch: (req: TileRequest) => Promise<T>,
    /** The current load's generation: an answer for an older load is dropped. */
    private readonly generation: () => number,
    private readonly onTile: () => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** The cached tile when it belongs to load `gen`. */
  current(gen: number): T | null {
    return this.tileGen === gen ? this.tile : null;
  }

  /** Forgets the cached tile and the request in flight (a new load). */
  reset(): void {
    this.tile = null;
    this.#inflight = null;
  }

  /** Forgets the cached tile but not the request in flight (which will replace it). */
  forget(): void {
    this.tile = null;
  }

  /** Asks for a tile unless the cached one or the one in flight covers `view` and the lanes in view. */
  ensure(view: View, width: number, laneCount: number, visible: () => LaneRange): void {
    const gen = this.generation();
    const vis = lanesInView(laneCount, visible);
    const plan = planTile(view, width, laneCount, vis, gen);
    const t = this.tile;
    if (t && tileFits({ ...t.marks, gen: this.tileGen }, view, plan.bucket, vis, gen)) return;
    if (this.#inflight && tileFits(this.#inflight, view, plan.bucket, vis, gen)) return;
    const id = ++this.#issued;
    this.#inflight = plan;
    this.fetch(plan).then(
      (tile) => {
        if (id === this.#issued) this.#inflight = null;
        if (id < this.#applied || plan.gen !== this.generation()) return;
        this.#applied = id;
        this.tile = tile;
        this.tileGen = plan.gen;
        this.onTile();
      },
      (e) => {
        if (id === this.#issued) this.#inflight = null;
        if (e instanceof Error && e.name !== 'SupersededError' && !/superseded/.test(e.message)) this.onError(e.message);
      },
    );
  }
}
