import type { DbgReadSummary } from '../../src/archive/dbg';
import type { TraceBatch, TraceEvent } from '../../src/archive/trace-event';

/** Every event a reader yields, and what it threw at the end (a reader throws a stop after the events before it). */
export function readUntilStopped(gen: Generator<TraceBatch, DbgReadSummary, void>): { events: TraceEvent[]; error: unknown } {
  const events: TraceEvent[] = [];
  for (;;) {
    try {
      const r = gen.next();
      if (r.done) return { events, error: undefined };
      events.push(...r.value.events);
    } catch (error) {
      return { events, error };
    }
  }
}
