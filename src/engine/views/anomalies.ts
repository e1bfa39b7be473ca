import { readRows, readOne, sqlInt, type RowOf, type Sql } from './rows';

/** Most severe first: the one order of anomalies, in the Overview, the Anomalies view and `otpscope summary`. */
export const SEVERITY_RANK = `CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 WHEN 'info' THEN 2 ELSE 3 END`;

const ANOMALY = {
  anomaly_id: 'int',
  kind: 'text',
  severity: 'text',
  node: 'text?',
  pid: 'text?',
  ts: 'big?',
  seq: 'int?',
  summary: 'text',
  evidence_count: 'int',
} as const;
export type Anomaly = RowOf<typeof ANOMALY>;

/** Anomalies most severe first, then by time (the engine's `anomalies` table, docs/SCHEMA.md); `limit` keeps the first ones. */
export async function anomalyList(sql: Sql, limit?: number): Promise<{ rows: Anomaly[]; total: number }> {
  const rows = readRows(
    'anomalies',
    await sql(
      `SELECT anomaly_id, kind, severity, node, pid, ts, seq, summary, evidence_count FROM anomalies
       ORDER BY ${SEVERITY_RANK}, ts NULLS LAST, anomaly_id${limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.trunc(limit))}`}`,
    ),
    ANOMALY,
  );
  const { n } = readOne('anomalies', await sql('SELECT count(*) AS n FROM anomalies'), { n: 'int' });
  return { rows, total: n };
}

const EVENT = { seq: 'int', ts: 'big', node: 'text', pid: 'text?', kind: 'text', peer: 'text?', mfa: 'text?', term: 'text?' } as const;
export type EventRow = RowOf<typeof EVENT>;

/** The events that justify one anomaly (its evidence), in order. */
export async function anomalyEvidence(sql: Sql, anomalyId: number, limit = 200): Promise<EventRow[]> {
  return readRows(
    'anomaly evidence',
    await sql(
      `SELECT e.seq, e.ts, e.node, e.pid, e.kind, e.peer, e.mfa, e.term FROM anomaly_events a JOIN events e USING (seq)
       WHERE a.anomaly_id = ${sqlInt(anomalyId)} ORDER BY e.seq LIMIT ${Math.trunc(limit)}`,
    ),
    EVENT,
  );
}
