import { RecordBatchReader, Table } from 'apache-arrow';
import type { DuckDb } from './duckdb/types';
import { rowsOf, type QueryResult } from './result';

/**
 * The SQL console: SQL a user types (or pastes from someone else) runs on its
 * own DuckDB connection, inside a read-only transaction, polled so that it
 * can be cancelled and stopped at a time limit, and so that the views'
 * queries still run while it works. The analysis tables cannot be changed
 * from here: DuckDB refuses writes in a READ ONLY transaction, and statements
 * that would end that transaction (or switch databases) are refused before
 * they run. As a last guard the catalog is compared before and after, and any
 * change is reported.
 */
export interface ConsoleOptions {
  /** Rows kept in the answer (the count of all rows is still reported). */
  maxRows?: number;
  /** The query is cancelled after this long; default 60 s. */
  timeLimitMs?: number;
}

export interface ConsoleResult extends QueryResult {
  millis: number;
  /** What the query changed in the analysis tables (empty: nothing, as it should be). */
  changed: string[];
}

export class ConsoleError extends Error {
  constructor(
    message: string,
    readonly reason: 'refused' | 'cancelled' | 'time-limit' | 'busy' | 'sql',
  ) {
    super(message);
    this.name = 'ConsoleError';
  }
}

export const CONSOLE_TIME_LIMIT_MS = 60_000;

/** Statements that would end the read-only transaction, switch or detach databases, or run something stored for later. */
const REFUSED = new Set([
  'BEGIN',
  'START',
  'COMMIT',
  'END',
  'ROLLBACK',
  'ABORT',
  'USE',
  'ATTACH',
  'DETACH',
  'PREPARE',
  'EXECUTE',
  'DEALLOCATE',
  'CHECKPOINT',
  'VACUUM',
  'IMPORT',
  'EXPORT',
  'INSTALL',
  'LOAD',
]);

export class SqlConsole {
  private conn: ReturnType<DuckDb['connect']> | undefined;
  private cancelRequested = false;
  private running = false;

  constructor(private readonly db: DuckDb) {}

  /** Cancels the query that is running, if any. */
  cancel(): void {
    if (this.running) this.cancelRequested = true;
  }

  async run(text: string, opts: ConsoleOptions = {}): Promise<ConsoleResult> {
    const started = performance.now();
    const { parts, changed } = await this.execute(text, opts.timeLimitMs);
    const result = rowsOf(new Table(RecordBatchReader.from(parts)), opts.maxRows ?? 100_000);
    return { ...result, millis: performance.now() - started, changed };
  }

  /** The whole result as one Arrow IPC stream (for Parquet export), under the same rules as `run`. */
  async arrowIpc(text: string, opts: ConsoleOptions = {}): Promise<Uint8Array> {
    const { parts } = await this.execute(text, opts.timeLimitMs);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Runs `text` in a read-only transaction, polling so a cancel or the time limit can stop it; the result's IPC stream messages. */
  private async execute(text: string, timeLimitMs = CONSOLE_TIME_LIMIT_MS): Promise<{ parts: Uint8Array[]; changed: string[] }> {
    if (this.running) throw new ConsoleError('a console query is already running: cancel it first', 'busy');
    const refusal = refusedStatement(text);
    if (refusal !== null) throw new ConsoleError(refusal, 'refused');
    this.running = true;
    this.cancelRequested = false;
    const conn = (this.conn ??= this.open());
    const before = catalogState(this.db);
    const started = performance.now();
    conn.query('BEGIN TRANSACTION READ ONLY');
    try {
      const parts = await conn.useUnsafe(async (b, c) => {
        let header: Uint8Array | null;
        try {
          header = b.startPendingQuery(c, text, false);
          let slice = performance.now();
          while (header === null) {
            // Poll in slices of ~50 ms, then let other messages in (a cancel, the views' queries) through a timer,
            // which every platform runs after pending messages.
            if (performance.now() - slice > 50) {
              await new Promise((r) => setTimeout(r, 0));
              slice = performance.now();
            }
            if (this.cancelRequested || performance.now() - started > timeLimitMs) {
              b.cancelPendingQuery(c);
              throw this.cancelRequested
                ? new ConsoleError('the query was cancelled', 'cancelled')
                : new ConsoleError(`the query ran longer than its time limit (${timeLimitMs / 1000} s) and was cancelled`, 'time-limit');
            }
            header = b.pollPendingQuery(c);
          }
        } catch (e) {
          if (e instanceof ConsoleError) throw e;
          throw new ConsoleError(explain(e instanceof Error ? e.message : String(e)), 'sql');
        }
        const out: Uint8Array[] = [header.slice()];
        for (;;) {
          const chunk = b.fetchQueryResults(c);
          if (chunk === null) continue;
          if (chunk.length === 0) break;
          out.push(chunk.slice());
        }
        return out;
      });
      return { parts, changed: changes(before, catalogState(this.db)) };
    } finally {
      try {
        conn.query('ROLLBACK');
      } catch {
        // the transaction may already have ended with an error
      }
      this.running = false;
      this.cancelRequested = false;
    }
  }

  private open() {
    const conn = this.db.connect();
    conn.query('USE otpscope');
    return conn;
  }
}

/** Why the console refuses `text` (a statement that could end its read-only transaction), or null. */
export function refusedStatement(text: string): string | null {
  for (const words of statementHeads(text)) {
    const [first, second] = words;
    const head = first === 'EXPLAIN' && second !== undefined ? (second === 'ANALYZE' ? words[2] : second) : first;
    if (head !== undefined && REFUSED.has(head))
      return `the SQL console is read-only over the analysis tables and does not run ${head} statements (write a SELECT, DESCRIBE, SUMMARIZE or EXPLAIN; the CLI's export gives you the tables to change elsewhere)`;
  }
  return null;
}

/** The first three words of each statement, upper-cased, skipping comments, quotes and parentheses. */
function statementHeads(text: string): string[][] {
  const out: string[][] = [];
  let words: string[] = [];
  let word = '';
  let depth = 0;
  const endWord = () => {
    if (word !== '' && words.length < 3 && depth === 0) words.push(word.toUpperCase());
    word = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '-' && text[i + 1] === '-') {
      endWord();
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl;
    } else if (c === '/' && text[i + 1] === '*') {
      endWord();
      const close = text.indexOf('*/', i + 2);
      i = close === -1 ? text.length : close + 1;
    } else if (c === "'" || c === '"') {
      endWord();
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      i = j;
      if (words.length === 0) words.push('');
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i));
      if (tag === null) word += c;
      else {
        endWord();
        const close = text.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? text.length : close + tag[0].length - 1;
      }
    } else if (c === ';') {
      endWord();
      if (words.length > 0) out.push(words);
      words = [];
      depth = 0;
    } else if (c === '(') {
      endWord();
      depth++;
    } else if (c === ')') {
      endWord();
      depth = Math.max(0, depth - 1);
    } else if (/[A-Za-z0-9_]/.test(c)) word += c;
    else endWord();
  }
  endWord();
  if (words.length > 0) out.push(words);
  return out;
}

/** The analysis catalog: every table (with its row count), view and macro, as text to compare. */
function catalogState(db: DuckDb): Map<string, string> {
  const t = db.conn.query(
    `SELECT 'table ' || table_name AS k, estimated_size::VARCHAR || ' rows, ' || column_count::VARCHAR || ' columns' AS v FROM duckdb_tables() WHERE database_name = 'otpscope'
     UNION ALL SELECT 'view ' || view_name, sql FROM duckdb_views() WHERE database_name = 'otpscope' AND NOT internal
     UNION ALL SELECT 'macro ' || function_name, string_agg(coalesce(macro_definition, ''), ';' ORDER BY macro_definition) FROM duckdb_functions()
       WHERE database_name = 'otpscope' AND function_type IN ('macro', 'table_macro') AND NOT internal GROUP BY function_name`,
  );
  const out = new Map<string, string>();
  for (const row of t) out.set(String(row.k), String(row.v));
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of before) {
    const now = after.get(k);
    if (now === undefined) out.push(`${k} was dropped`);
    else if (now !== v) out.push(`${k} changed (${v} → ${now})`);
  }
  for (const k of after.keys()) if (!before.has(k)) out.push(`${k} was created`);
  return out;
}

function explain(message: string): string {
  if (/read-only mode/.test(message))
    return `${message}\n(the SQL console is read-only over the analysis tables: it cannot change, create or drop them; use a WITH clause for intermediate results)`;
  return message;
}
