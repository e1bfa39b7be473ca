import type { EngineConnection } from '../duckdb/connection';
import type { ColumnBuilder, ColumnSpec } from '../ingest/columns';
import { correlate, MAILBOX_DEPTH, STREAM_TABLES, type Registration } from './correlate';
import type { EventStore } from './event-store';

const SQL_TYPES = { i64: 'BIGINT', i32: 'INTEGER', f64: 'DOUBLE', str: 'VARCHAR', bool: 'BOOLEAN' } as const;

type Steps = { sql: string; ms: number }[];

/** Progress steps `runStreamAnalyses` reports: one per table it writes before `mailboxDepth`. */
export const STREAM_STEPS = STREAM_TABLES.length;

/**
 * Runs the streaming analyses over the engine's event columns and writes
 * their tables (`prefix` + name: the tests write them beside the SQL-built
 * ones to compare). `correlate` needs `registrations` and `processes`;
 * `mailboxDepth`, which it returns, needs `calls` and the alias replies it
 * marked in `messages` (sql/build.ts MARK_DROPPED_REPLIES).
 */
export function runStreamAnalyses(
  db: EngineConnection,
  store: EventStore,
  prefix = '',
  onStep?: (name: string) => void,
): { steps: Steps; mailboxDepth: () => Steps } {
  const steps: Steps = [];
  let t = performance.now();
  const registrations: Registration[] = db.query('SELECT node, name, pid, register_seq, unregister_seq FROM registrations').rows.map((r) => ({
    node: r[0] as string | null,
    name: String(r[1]),
    pid: String(r[2]),
    registerSeq: r[3] === null ? null : Number(r[3]),
    unregisterSeq: r[4] === null ? null : Number(r[4]),
  }));
  const nameFallback = db
    .query('SELECT node, name, pid FROM processes WHERE name IS NOT NULL')
    .rows.map((r) => ({ node: r[0] as string | null, name: String(r[1]), pid: String(r[2]) }));
  onStep?.(STREAM_TABLES[0][0]);
  const done = correlate({ store, registrations, nameFallback });
  steps.push({ sql: 'stream: correlate (send_targets, messages, spans, causal_links)', ms: performance.now() - t });
  for (const [k, [name, spec]] of STREAM_TABLES.entries()) {
    if (k > 0) onStep?.(name);
    t = performance.now();
    insertTable(db, prefix + name, spec, done.tables.get(name)!);
    steps.push({ sql: `stream: insert ${name}`, ms: performance.now() - t });
  }
  const mailboxDepth = (): Steps => {
    const t0 = performance.now();
    const dropped = new Set(db.query(`SELECT send_seq FROM ${prefix}messages WHERE status = 'alias_inactive'`).rows.map((r) => Number(r[0])));
    insertTable(db, `${prefix}mailbox_depth`, MAILBOX_DEPTH, done.mailboxDepth(dropped));
    return [{ sql: 'stream: mailbox_depth', ms: performance.now() - t0 }];
  };
  return { steps, mailboxDepth };
}

function insertTable(db: EngineConnection, table: string, spec: ColumnSpec, rows: ColumnBuilder<ColumnSpec>): void {
  db.query(`CREATE OR REPLACE TABLE ${table} (${columnsDdl(spec)})`);
  if (rows.length > 0) db.insertArrowIpc(table, rows.toIPC());
}

function columnsDdl(spec: ColumnSpec): string {
  return Object.entries(spec)
    .map(([c, t]) => `"${c}" ${SQL_TYPES[t]}`)
    .join(', ');
}

/** The SQL's resequencing as position moves (`reseq` of sql/build.ts RESEQUENCE_EVENTS, before it is dropped), applied to the columns. */
export function applyResequence(db: EngineConnection, store: EventStore): void {
  // Rows, not Arrow: the native engine hands out no Arrow IPC.
  const rows = db.query('SELECT old, new FROM reseq WHERE old <> new').rows;
  const old = new Float64Array(rows.length);
  const now = new Float64Array(rows.length);
  rows.forEach((r, k) => {
    old[k] = Number(r[0]);
    now[k] = Number(r[1]);
  });
  store.renumber(old, now);
}
