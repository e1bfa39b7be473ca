import type { Cell, QueryResult } from '../result';

/**
 * Typed reads of query results. A view names the columns it reads and their
 * types; `readRows` checks each cell against that spec and returns objects
 * keyed by column name. A column missing from the result, or a cell of
 * another type, is an error that names the view, the column and the row,
 * instead of a wrong number drawn on screen.
 *
 * Types: `big` (exact integer as bigint: timestamps, seq), `int` (integer as
 * number), `num` (any number), `text`, `bool`. A trailing `?` allows NULL.
 */
export type ColumnType = 'big' | 'int' | 'num' | 'text' | 'bool';
export type ColumnSpec = Record<string, ColumnType | `${ColumnType}?`>;

interface TypeOf {
  big: bigint;
  int: number;
  num: number;
  text: string;
  bool: boolean;
}

export type RowOf<S extends ColumnSpec> = {
  [K in keyof S]: S[K] extends `${infer T extends ColumnType}?` ? TypeOf[T] | null : S[K] extends ColumnType ? TypeOf[S[K]] : never;
};

export class ViewDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ViewDataError';
  }
}

/** Reads every row of `result` as `spec` says; `view` names the caller in errors. */
export function readRows<S extends ColumnSpec>(view: string, result: QueryResult, spec: S): RowOf<S>[] {
  const index = new Map(result.columns.map((c, i) => [c.name, i]));
  const plan = Object.entries(spec).map(([name, t]) => {
    const i = index.get(name);
    if (i === undefined) throw new ViewDataError(`${view}: the query returned no column "${name}" (it has ${result.columns.map((c) => c.name).join(', ')})`);
    const nullable = t.endsWith('?');
    return { name, i, type: (nullable ? t.slice(0, -1) : t) as ColumnType, nullable };
  });
  return result.rows.map((row, r) => {
    const out: Record<string, unknown> = {};
    for (const p of plan) out[p.name] = convert(view, p, row[p.i], r);
    return out as RowOf<S>;
  });
}

/** The single row of a one-row result (an aggregate); an error when there is none. */
export function readOne<S extends ColumnSpec>(view: string, result: QueryResult, spec: S): RowOf<S> {
  const rows = readRows(view, result, spec);
  if (rows.length !== 1) throw new ViewDataError(`${view}: expected one row, the query returned ${rows.length}`);
  return rows[0];
}

function convert(view: string, p: { name: string; type: ColumnType; nullable: boolean }, c: Cell | undefined, row: number): unknown {
  if (c === null || c === undefined) {
    if (p.nullable) return null;
    throw new ViewDataError(`${view}: column "${p.name}" is NULL in row ${row}, expected ${p.type}`);
  }
  const bad = (): never => {
    throw new ViewDataError(`${view}: column "${p.name}" in row ${row} is ${typeof c} ${JSON.stringify(String(c)).slice(0, 60)}, expected ${p.type}`);
  };
  switch (p.type) {
    case 'big':
      if (typeof c === 'bigint') return c;
      if (typeof c === 'number' && Number.isInteger(c)) return BigInt(c);
      return bad();
    case 'int':
      if (typeof c === 'number' && Number.isInteger(c)) return c;
      if (typeof c === 'bigint') return Number(c);
      return bad();
    case 'num':
      if (typeof c === 'number') return c;
      if (typeof c === 'bigint') return Number(c);
      return bad();
    case 'text':
      return typeof c === 'string' ? c : bad();
    case 'bool':
      return typeof c === 'boolean' ? c : bad();
  }
}

/** A SQL string literal: trace text is untrusted, so every value spliced into SQL goes through here. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A BIGINT literal from a timestamp or seq. */
export function sqlInt(n: bigint | number): string {
  const b = typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
  return `${b}::BIGINT`;
}

/** How views run SQL: the engine's query, synchronous in the worker, possibly asynchronous elsewhere. */
export type Sql = (sql: string, maxRows?: number) => QueryResult | Promise<QueryResult>;

/** A tuple type without its first element (a view's arguments after its `sql`). */
export type Tail<A> = A extends [unknown, ...infer T] ? T : never;
