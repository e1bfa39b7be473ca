/**
 * `events.ts` is ns since the Unix epoch, except in a raw trace with monotonic
 * timestamps and no wall-clock offset (dbg's `monotonic_timestamp`), where it
 * is the node's raw monotonic time. No BEAM trace is older than 2000, so a
 * value below that is such a time, not a date.
 */
export const YEAR_2000_NS = 946_684_800_000_000_000n;

/** `monotonic N s (no wall-clock time in this trace)` for a raw monotonic ts; null for a wall-clock one. */
export function monotonicText(ts: bigint): string | null {
  return ts < YEAR_2000_NS ? `monotonic ${(Number(ts) / 1e9).toFixed(6)} s (no wall-clock time in this trace)` : null;
}

export const NO_TIMESTAMPS = 'no timestamps in this trace (traced without a timestamp flag): events in file order';

/** A trace whose events all stand at 0: no message of it had a timestamp (a raw monotonic time is never exactly 0). */
export const untimed = (t0: bigint, t1: bigint) => t0 === 0n && t1 === 0n;

/**
 * What follows a trace's span in a line (\`span: 2 s from …\`): \` from \` and the wall-clock instant (ISO) or the raw
 * monotonic time of its first event, or, for a trace whose messages carry no timestamp at all (traced without a
 * timestamp flag: every event at 0), \`; \` and that it has none and its events are in the file's order.
 */
export function spanFrom(t0: bigint, t1: bigint): string {
  if (untimed(t0, t1)) return `; ${NO_TIMESTAMPS}`;
  return ` from ${monotonicText(t0) ?? new Date(Number(t0 / 1_000_000n)).toISOString()}`;
}
