import { readOne, sqlInt, sqlString, type Sql } from './rows';
import type { ProcessRef } from './state';

export interface LinkCheck {
  /** null when the link names no process. */
  processFound: boolean | null;
  /** null when the link names no event. */
  seqFound: boolean | null;
  /** The loaded events' last seq (null: no events), so a message can say what the archive does have. */
  lastSeq: number | null;
}

/** Whether the loaded traces have the process and the event a view link (the URL hash) names. */
export async function checkLink(sql: Sql, process: ProcessRef | null, seq: number | null): Promise<LinkCheck> {
  const p = process === null ? 'NULL' : `${sqlString(process.node)}, ${sqlString(process.pid)}`;
  const row = readOne(
    'check link',
    await sql(
      `SELECT ${
        process === null ? 'NULL' : `(EXISTS (SELECT 1 FROM processes WHERE (node, pid) = (${p})) OR EXISTS (SELECT 1 FROM events WHERE (node, pid) = (${p})))`
      } AS process_found,
       ${seq === null ? 'NULL' : `EXISTS (SELECT 1 FROM events WHERE seq = ${sqlInt(seq)})`} AS seq_found,
       (SELECT max(seq) FROM events) AS last_seq`,
    ),
    { process_found: 'bool?', seq_found: 'bool?', last_seq: 'int?' },
  );
  return { processFound: row.process_found, seqFound: row.seq_found, lastSeq: row.last_seq };
}
