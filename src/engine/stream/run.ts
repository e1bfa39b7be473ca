import type { EngineConnection } from '../duckdb/connection';
import { ColumnBuilder, type ColumnSpec } from '../ingest/columns';
import { correlate, MAILBOX_DEPTH, STREAM_TABLES, type Registration } from './correlate';
import type { EventStore } from './event-store';

const SQL_TYPES = { i64: 'BIGINT', i32: 'INTEGER', f64: 'DOUBLE', str: 'VARCHAR', bool: 'BOOLEAN' } as const;

type Steps = { sql: string; ms: number }[];

/**
 * The documented tables from the pass's id tables (\`i_<table>\`): each joins
 * the texts back from \`text_procs\` (node, pid), \`text_mfas\` and
 * \`text_terms\`, with the columns, order and types of docs/SCHEMA.md.
 * Tables, not views over the id tables: the analyses after the pass (calls,
 * states, anomalies) read them several times, and as views every read paid
 * the joins again (bench/cpu-steps.mjs: +0.4 s of DuckDB CPU at 100k events).
 */
function streamTables(p: string): string[] {
  const proc = (alias: string, col: string) => `LEFT JOIN ${p}text_procs ${alias} ON ${alias}.id = ${col}`;
  const term = (alias: string, col: string) => `LEFT JOIN ${p}text_terms ${alias} ON ${alias}.id = ${col}`;
  return [
    `CREATE OR REPLACE TABLE ${p}send_targets AS
SELECT s.seq, t.pid AS to_pid, tn.node AS to_node, s.ts, f.node, f.pid, s.term_id, s.kind, s.free_name
FROM ${p}i_send_targets s ${proc('t', 's.to_proc')} ${proc('tn', 's.to_node_proc')} ${proc('f', 's.proc')}`,
    `CREATE OR REPLACE TABLE ${p}messages AS
SELECT m.send_seq, m.recv_seq, f.pid AS from_pid, t.pid AS to_pid, m.sent_at, m.received_at, x.term AS msg,
       f.node AS from_node, tn.node AS to_node, m.msg_id, m.status, m.consumed_seq, m.consumed_at, m.taken_at
FROM ${p}i_messages m ${proc('f', 'm.from_proc')} ${proc('t', 'm.to_proc')} ${proc('tn', 'm.to_node_proc')} ${term('x', 'm.msg')}`,
    `CREATE OR REPLACE TABLE ${p}spans AS
SELECT q.node, q.pid, f.mfa, s.depth, s.call_seq, s.end_seq, s.started_at, s.ended_at, s.duration_ns, s.self_ns, s.outcome,
       a.term AS args, r.term AS result, s.parent_seq
FROM ${p}i_spans s ${proc('q', 's.proc')} LEFT JOIN ${p}text_mfas f ON f.id = s.mfa ${term('a', 's.args')} ${term('r', 's.result')}`,
  ];
}

function mailboxDepthTable(p: string): string {
  return `CREATE OR REPLACE TABLE ${p}mailbox_depth AS
SELECT q.node, q.pid, d.ts, d.seq, d.delta, d.depth
FROM ${p}i_mailbox_depth d LEFT JOIN ${p}text_procs q ON q.id = d.proc`;
}

/** The pass's tables under their id names (\`i_messages\`, ...); causal_links holds no text and keeps its own. */
const ID_TABLE: Record<string, string> = { send_targets: 'i_send_targets', messages: 'i_messages', spans: 'i_spans', causal_links: 'causal_links' };

const TEXT_PROCS = { id: 'i32', node: 'str', pid: 'str' } as const;
const TEXT_MFAS = { id: 'i32', mfa: 'str' } as const;
const TEXT_TERMS = { id: 'i32', term: 'str' } as const;

/**
 * Runs the streaming analyses over the engine's event columns and writes
 * their tables (\`prefix\` + name: the tests write them beside the SQL-built
 * ones to compare): the pass hands DuckDB integer ids and each distinct
 * text once (text tables), and DuckDB joins them into the tables of
 * docs/SCHEMA.md (the id and text tables are dropped after). \`correlate\` needs \`registrations\`,
 * \`processes\` and \`meta\`; \`mailboxDepth\`, which it returns, needs \`calls\` and the
 * alias replies it marked in \`messages\` (sql/build.ts markDroppedReplies) and the messages the recorder's drops
 * leave unknown (markInDrop), which were marked after the pass with the same SQL as the SQL build's.
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
  const recordedNodes = db.query(`SELECT DISTINCT node FROM meta WHERE key = 'format' AND value = 'otpscope'`).rows.map((r) => r[0] as string | null);
  onStep?.(STREAM_TABLES[0][0]);
  const done = correlate({ store, registrations, nameFallback, recordedNodes });
  steps.push({ sql: 'stream: correlate (send_targets, messages, spans, causal_links)', ms: performance.now() - t });
  t = performance.now();
  writeTexts(db, prefix, store, done.usedTerms);
  steps.push({ sql: 'stream: insert texts', ms: performance.now() - t });
  for (const [k, [name, spec]] of STREAM_TABLES.entries()) {
    if (k > 0) onStep?.(name);
    t = performance.now();
    insertTable(db, prefix + ID_TABLE[name], spec, done.tables.get(name)!);
    steps.push({ sql: `stream: insert ${name}`, ms: performance.now() - t });
  }
  t = performance.now();
  for (const sql of streamTables(prefix)) db.query(sql);
  for (const name of ['i_send_targets', 'i_messages', 'i_spans']) db.query(`DROP TABLE ${prefix}${name}`);
  steps.push({ sql: 'stream: join texts (send_targets, messages, spans)', ms: performance.now() - t });
  const mailboxDepth = (): Steps => {
    const t0 = performance.now();
    const dropped = new Set(db.query(`SELECT send_seq FROM ${prefix}messages WHERE status IN ('alias_inactive', 'in_drop')`).rows.map((r) => Number(r[0])));
    insertTable(db, `${prefix}i_mailbox_depth`, MAILBOX_DEPTH, done.mailboxDepth(dropped));
    db.query(mailboxDepthTable(prefix));
    for (const name of ['i_mailbox_depth', 'text_procs', 'text_mfas', 'text_terms']) db.query(`DROP TABLE ${prefix}${name}`);
    return [{ sql: 'stream: mailbox_depth', ms: performance.now() - t0 }];
  };
  return { steps, mailboxDepth };
}

/** The dictionaries as text tables: every process and MFA, and the terms the tables refer to. */
function writeTexts(db: EngineConnection, prefix: string, store: EventStore, usedTerms: Uint8Array): void {
  const procs = new ColumnBuilder(TEXT_PROCS);
  for (let id = 0; id < store.procs.pid.length; id++) procs.push(id, store.procs.node[id], store.procs.pid[id]);
  insertTable(db, `${prefix}text_procs`, TEXT_PROCS, procs);
  const mfas = new ColumnBuilder(TEXT_MFAS);
  store.mfas.texts.forEach((mfa, id) => mfas.push(id, mfa));
  insertTable(db, `${prefix}text_mfas`, TEXT_MFAS, mfas);
  const terms = new ColumnBuilder(TEXT_TERMS);
  const texts = store.terms.texts;
  for (let id = 0; id < usedTerms.length; id++) if (usedTerms[id]) terms.push(id, texts[id]);
  insertTable(db, `${prefix}text_terms`, TEXT_TERMS, terms);
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

/** The SQL's resequencing as position moves (`reseq` of sql/build.ts resequenceEvents, before it is dropped), applied to the columns. */
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
