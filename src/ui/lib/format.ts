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

/** 2000-01-01 in ns since the epoch: no BEAM trace is older; a smaller value is a raw monotonic time. */
const YEAR_2000_NS = 946_684_800_000_000_000n;

/**
 * Wall-clock time of a ns-since-epoch timestamp, to the microsecond. A raw
 * trace with monotonic timestamps and no wall-clock offset (dbg's
 * `monotonic_timestamp`) has no date: it says so instead of printing 1951.
 */
export function wallClock(ts: bigint): string {
  if (ts < YEAR_2000_NS) return `monotonic ${(Number(ts) / 1e9).toFixed(6)} s (no wall-clock time in this trace)`;
  const ms = Number(ts / 1_000_000n);
  const d = new Date(ms);
  const us = String(ts % 1_000_000_000n)
    .padStart(9, '0')
    .slice(0, 6);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${us} UTC`;
}
