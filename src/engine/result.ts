import type { Table, RecordBatch } from 'apache-arrow';

export type Cell = string | number | bigint | boolean | null;

/** A query result as plain rows (structured-clone friendly, for the worker boundary). */
export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Cell[][];
  /** Rows the query produced; more than `rows.length` when the result was capped. */
  totalRows: number;
}

/** Converts an Arrow result to rows: integers stay exact (bigint where needed), nested values become JSON text. */
export function rowsOf(table: Table | RecordBatch, maxRows: number): QueryResult {
  const columns = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
  const n = Math.min(table.numRows, maxRows);
  const rows: Cell[][] = new Array(n);
  const vectors = columns.map((_, i) => table.getChildAt(i)!);
  for (let r = 0; r < n; r++) {
    const row: Cell[] = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) row[c] = toCell(vectors[c].get(r));
    rows[r] = row;
  }
  return { columns, rows, totalRows: table.numRows };
}

/** One value as a cell: safe integers as numbers, larger ones as bigint, nested values as JSON text. Native DuckDB's values go through it too. */
export function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return v;
    case 'bigint':
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    default:
      if (v instanceof Uint32Array && v.length === 4) return decimalToNumber(v);
      return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  }
}

/** DuckDB sums come back as 128-bit decimals (four 32-bit words, low first). */
function decimalToNumber(w: Uint32Array): number | bigint {
  const big = (BigInt(w[3]) << 96n) | (BigInt(w[2]) << 64n) | (BigInt(w[1]) << 32n) | BigInt(w[0]);
  const signed = w[3] & 0x80000000 ? big - (1n << 128n) : big;
  return signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(signed) : signed;
}
