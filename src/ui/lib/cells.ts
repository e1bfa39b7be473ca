import type { Cell } from '../../engine/result';

/** Reading cells of a result the user wrote (the SQL console, expectations): views get typed rows from the engine instead. */

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
