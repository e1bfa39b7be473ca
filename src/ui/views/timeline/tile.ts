import type { ArrowTile, MarkTile as EngineMarks, SpanTile, Tile as EngineTile } from '../../../engine/views/timeline';
import { markClassOf } from './kinds';

/** A tile as the engine returns it (src/engine/views/timeline.ts), with each mark's colour class added for drawing. */
export interface MarkTile extends EngineMarks {
  cls: Uint8Array;
}

export interface Tile {
  marks: MarkTile;
  spans: SpanTile;
  arrows: ArrowTile;
  /** The marks alone (`timelineMarks`): asked while the tables of spans and arrows were still being built. */
  partial?: boolean;
}

export function withClasses(t: EngineTile): Tile {
  const cls = new Uint8Array(t.marks.count);
  for (let k = 0; k < t.marks.count; k++) cls[k] = markClassOf(t.marks.mask[k]);
  return { ...t, marks: { ...t.marks, cls } };
}
