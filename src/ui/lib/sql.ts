import type { Cell, QueryResult } from '../../engine/result';

/** A SQL string literal: trace text is untrusted, so every value spliced into SQL goes through here. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A BIGINT literal from a timestamp or seq. */
export function sqlInt(n: bigint | number): string {
  const b = typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
  return `${b}::BIGINT`;
}

/** Rows as objects keyed by column name (small results only: views, not the SQL console). */
export function records(r: QueryResult): Record<string, Cell>[] {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

/** A timestamp cell as bigint (ns since epoch come back as bigint, small ones as number). */
export function big(c: Cell | undefined): bigint | null {
  if (c === null || c === undefined) return null;
  if (typeof c === 'bigint') return c;
  if (typeof c === 'number') return BigInt(Math.trunc(c));
  if (typeof c === 'string' && /^-?\d+$/.test(c)) return BigInt(c);
  return null;
}

export function num(c: Cell | undefined): number | null {
  if (c === null || c === undefined) return null;
  if (typeof c === 'number') return c;
  if (typeof c === 'bigint') return Number(c);
  const n = Number(c);
  return Number.isFinite(n) ? n : null;
}

export function str(c: Cell | undefined): string | null {
  if (c === null || c === undefined) return null;
  return String(c);
}

/** A cell as display text. */
export function cellText(c: Cell): string {
  if (c === null) return 'NULL';
  return String(c);
}
