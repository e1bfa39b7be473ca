import { monotonicText, NO_TIMESTAMPS, untimed } from '../../engine/clock';
import { formatDuration, formatRelative, type Window } from './session.svelte';

export { formatDuration, formatRelative };

/** A timestamp relative to the trace start, or `—`. */
export function rel(ts: bigint | null, span: Window | null): string {
  if (ts === null) return '—';
  return span ? '+' + formatRelative(ts, span.start) : String(ts);
}

/** Shortens long term text for one-line cells (the full text stays in the title). */
export function clip(s: string | null, n = 120): string {
  if (s === null) return '';
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/** The Overview's line on where the trace's time starts (\`Starts 2026-…\`), or that its messages had no timestamps. */
export function traceStart(span: { start: bigint; end: bigint }): string {
  return untimed(span.start, span.end) ? NO_TIMESTAMPS[0].toUpperCase() + NO_TIMESTAMPS.slice(1) : `Starts ${wallClock(span.start)}`;
}

/**
 * Wall-clock time of a ns-since-epoch timestamp, to the microsecond; a raw
 * monotonic time (no wall-clock offset in the trace) says so instead of
 * printing a 1951 date.
 */
export function wallClock(ts: bigint): string {
  const mono = monotonicText(ts);
  if (mono !== null) return mono;
  const ms = Number(ts / 1_000_000n);
  const d = new Date(ms);
  const us = String(ts % 1_000_000_000n)
    .padStart(9, '0')
    .slice(0, 6);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${us} UTC`;
}
