import type { Cell } from '../../../engine/result';

/** A SQL string literal (terms and pids are data, never SQL). */
export function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** An integer literal for a time in ns (bigints print exactly). */
export function int(n: bigint | number): string {
  return typeof n === 'bigint' ? n.toString() : Math.round(n).toString();
}

/** A result cell as a number (DuckDB returns big integers as bigint). */
export function num(c: Cell): number {
  return c === null ? NaN : typeof c === 'number' ? c : Number(c);
}

export function str(c: Cell): string | null {
  return c === null ? null : String(c);
}

/** Sorts canonical pids `<0.ID.SERIAL>` numerically. */
export function comparePids(a: string, b: string): number {
  const pa = a.match(/\d+/g)?.map(Number) ?? [];
  const pb = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `VALUES (0, node, pid), ...` naming processes by index, to join events to lanes in SQL. */
export function lanesValues(lanes: { node: string; pid: string }[], from = 0): string {
  return lanes.map((l, i) => `(${from + i}, ${lit(l.node)}, ${lit(l.pid)})`).join(', ');
}
