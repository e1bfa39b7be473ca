import { readOne, readRows, type ColumnSpec, type RowOf, type Sql } from './rows';

/**
 * The compare tables (docs/SCHEMA.md "Comparing two recordings"), read for
 * the compare view and `otpscope compare`: both print the rows these return,
 * so the UI and the CLI show the same tables. Built by the engine when a
 * recording B is loaded (src/engine/compare).
 */
export const COMPARE_SPECS = {
  calls: {
    callee: 'text',
    shape: 'text',
    n_a: 'int',
    n_b: 'int',
    p50_a: 'num?',
    p50_b: 'num?',
    p95_a: 'num?',
    p95_b: 'num?',
    max_a: 'num?',
    max_b: 'num?',
    p50_ratio: 'num?',
    p95_ratio: 'num?',
    max_ratio: 'num?',
    timeouts_a: 'int',
    timeouts_b: 'int',
    exits_a: 'int',
    exits_b: 'int',
    change: 'text?',
    impact_ns: 'num',
    a_seq: 'int?',
    b_seq: 'int?',
  },
  messages: { sender: 'text', receiver: 'text', shape: 'text', n_a: 'int', n_b: 'int', delta: 'int', change: 'text?', a_seq: 'int?', b_seq: 'int?' },
  processes: {
    role: 'text',
    procs_a: 'int',
    procs_b: 'int',
    spawned_a: 'int',
    spawned_b: 'int',
    exited_a: 'int',
    exited_b: 'int',
    crashed_a: 'int',
    crashed_b: 'int',
    change: 'text?',
    a_seq: 'int?',
    b_seq: 'int?',
  },
  restarts: { supervisor: 'text', child: 'text', restarts_a: 'int', restarts_b: 'int', change: 'text?', a_seq: 'int?', b_seq: 'int?' },
  mailbox: {
    role: 'text',
    ordinal: 'int',
    a_pid: 'text',
    b_pid: 'text',
    peak_a: 'int',
    peak_b: 'int',
    size_first_a: 'int?',
    size_last_a: 'int?',
    size_first_b: 'int?',
    size_last_b: 'int?',
    change: 'text?',
    a_peak_seq: 'int?',
    b_peak_seq: 'int?',
    a_state_seq: 'int?',
    b_state_seq: 'int?',
  },
  anomalies: {
    kind: 'text',
    severity: 'text',
    role: 'text',
    n_a: 'int',
    n_b: 'int',
    change: 'text?',
    summary_a: 'text?',
    summary_b: 'text?',
    a_seq: 'int?',
    b_seq: 'int?',
  },
  states: {
    role: 'text',
    ordinal: 'int',
    a_pid: 'text',
    b_pid: 'text',
    states_a: 'int',
    states_b: 'int',
    first_diff: 'int?',
    callback_a: 'text?',
    callback_b: 'text?',
    message_a: 'text?',
    message_b: 'text?',
    state_a: 'text?',
    state_b: 'text?',
    change: 'text?',
    diff: 'text?',
    a_seq: 'int?',
    b_seq: 'int?',
  },
} as const satisfies Record<string, ColumnSpec>;

export type CompareTable = keyof typeof COMPARE_SPECS;
export type CompareRow<T extends CompareTable> = RowOf<(typeof COMPARE_SPECS)[T]>;
/** The tables, plus the processes found in one recording only (new in B: `a_pid` NULL; vanished: `b_pid` NULL). */
export type CompareTables = { [T in CompareTable]: CompareRow<T>[] } & { unmatched: CompareMatchRow[] };

/** The tables in the order the view and the CLI show them. */
export const COMPARE_TABLE_NAMES = Object.keys(COMPARE_SPECS) as CompareTable[];

/** Whether the compare tables exist (a recording B was loaded). */
export async function compareLoaded(sql: Sql): Promise<boolean> {
  const r = readOne('compare loaded', await sql(`SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'compare_states'`), {
    n: 'int',
  });
  return r.n > 0;
}

/**
 * Every compare table, each in its own order (what changed most first).
 * `all`: also the rows where nothing changed (for thresholds over every call group).
 */
export async function compareTables(sql: Sql, opts: { all?: boolean; limit?: number } = {}): Promise<CompareTables> {
  const out: Record<string, unknown> = {};
  const limit = Math.trunc(opts.limit ?? 500);
  for (const t of COMPARE_TABLE_NAMES) {
    const spec = COMPARE_SPECS[t];
    const cols = Object.keys(spec).join(', ');
    out[t] = readRows(`compare ${t}`, await sql(`SELECT ${cols} FROM compare_${t} ${opts.all ? '' : 'WHERE change IS NOT NULL'} LIMIT ${limit}`), spec);
  }
  out.unmatched = await compareMatches(sql, { unmatchedOnly: true, limit });
  return out as CompareTables;
}

const MATCH = {
  role: 'text',
  parent_role: 'text?',
  ordinal: 'int?',
  a_node: 'text?',
  a_pid: 'text?',
  b_node: 'text?',
  b_pid: 'text?',
  how: 'text?',
} as const;
export type CompareMatchRow = RowOf<typeof MATCH>;

/** How processes were matched: every pair, and the processes found in one recording only (`how` NULL). */
export async function compareMatches(sql: Sql, opts: { unmatchedOnly?: boolean; limit?: number } = {}): Promise<CompareMatchRow[]> {
  return readRows(
    'compare matches',
    await sql(
      `SELECT ${Object.keys(MATCH).join(', ')} FROM compare_match ${opts.unmatchedOnly ? 'WHERE how IS NULL' : ''}
       ORDER BY how IS NOT NULL, role, ordinal, a_pid, b_pid LIMIT ${Math.trunc(opts.limit ?? 5000)}`,
    ),
    MATCH,
  );
}
