/**
 * `events.ts` is ns since the Unix epoch, except in a raw trace with monotonic
 * timestamps and no wall-clock offset (dbg's `monotonic_timestamp`), where it
 * is the node's raw monotonic time. No BEAM trace is older than 2000, so a
 * value below that is such a time, not a date.
 */
const YEAR_2000_NS = 946_684_800_000_000_000n;

/** `monotonic N s (no wall-clock time in this trace)` for a raw monotonic ts; null for a wall-clock one. */
export function monotonicText(ts: bigint): string | null {
  return ts < YEAR_2000_NS ? `monotonic ${(Number(ts) / 1e9).toFixed(6)} s (no wall-clock time in this trace)` : null;
}
