/**
 * Rows of the sequence diagram: messages between the chosen processes (calls
 * and their replies labelled and paired through the `calls` table) and the
 * exits of those processes, in time order, within the shared view window.
 */
import type { ProcessRef, Session, Window } from '../../lib/session.svelte';
import { int, lit, num, str, comparePids } from '../timeline/sql-text';

export interface ProcessOption extends ProcessRef {
  name: string | null;
  messages: number;
}

export type SeqRow =
  | {
      type: 'message';
      from: number;
      to: number;
      t: number;
      sendSeq: number | null;
      recvSeq: number | null;
      receivedAt: number | null;
      msg: string;
      /** `call` (a gen call request), `reply` (its reply), or plain `message`. */
      role: 'call' | 'reply' | 'message';
      label: string;
      /** call_seq of the call this row belongs to (both request and reply rows). */
      callSeq: number | null;
      status: string;
    }
  | { type: 'exit'; at: number; t: number; seq: number; reason: string };

export const ROW_LIMIT = 400;

export async function queryProcessOptions(session: Session): Promise<ProcessOption[]> {
  const r = await session.query(
    `WITH m AS (
       SELECT from_node AS node, from_pid AS pid FROM messages WHERE from_pid IS NOT NULL
       UNION ALL SELECT to_node, to_pid FROM messages WHERE to_pid IS NOT NULL
     ), e AS (SELECT DISTINCT node, pid FROM events WHERE pid IS NOT NULL)
     SELECT e.node, e.pid, any_value(p.name), count(m.pid)
       FROM e LEFT JOIN m ON m.node = e.node AND m.pid = e.pid
       LEFT JOIN processes p ON p.node = e.node AND p.pid = e.pid
      GROUP BY e.node, e.pid`,
  );
  const out = r.rows.map((row) => ({ node: str(row[0])!, pid: str(row[1])!, name: str(row[2]), messages: num(row[3]) }));
  out.sort((a, b) => (a.name && !b.name ? -1 : !a.name && b.name ? 1 : a.name && b.name ? a.name.localeCompare(b.name) : comparePids(a.pid, b.pid)));
  return out;
}

/** The processes that exchanged the most messages with each other: a starting point before anyone chooses. */
export async function querySuggested(session: Session): Promise<ProcessRef[]> {
  const r = await session.query(
    `SELECT from_node, from_pid, to_node, to_pid, count(*) AS n FROM messages
      WHERE from_pid IS NOT NULL AND to_pid IS NOT NULL AND from_pid <> to_pid
      GROUP BY ALL ORDER BY n DESC LIMIT 1`,
  );
  const row = r.rows[0];
  if (!row) return [];
  return [
    { node: str(row[0])!, pid: str(row[1])! },
    { node: str(row[2])!, pid: str(row[3])! },
  ];
}

export async function querySequence(session: Session, t0: bigint, procs: ProcessRef[], win: Window | null): Promise<{ rows: SeqRow[]; total: number }> {
  if (procs.length === 0) return { rows: [], total: 0 };
  const values = procs.map((p, i) => `(${i}, ${lit(p.node)}, ${lit(p.pid)})`).join(', ');
  const inWin = (col: string) => (win ? `${col} >= ${int(win.start)} AND ${col} <= ${int(win.end)}` : 'true');
  const r = await session.query(
    `WITH l(i, node, pid) AS (VALUES ${values}),
     m AS (
       SELECT lf.i AS fi, lt.i AS ti, coalesce(m.sent_at, m.received_at) AS t, m.send_seq, m.recv_seq, m.received_at, m.msg, m.status,
              c.call_seq AS req_of, c.request, r.call_seq AS reply_of, r.reply
         FROM messages m
         JOIN l lf ON lf.node = m.from_node AND lf.pid = m.from_pid
         JOIN l lt ON lt.node = m.to_node AND lt.pid = m.to_pid
         LEFT JOIN calls c ON c.call_seq = m.send_seq
         LEFT JOIN calls r ON r.reply_seq = m.send_seq
        WHERE ${inWin('coalesce(m.sent_at, m.received_at)')}
     ), x AS (
       SELECT l.i, e.ts AS t, e.seq, e.term FROM events e JOIN l ON l.node = e.node AND l.pid = e.pid
        WHERE e.kind = 'exit' AND ${inWin('e.ts')}
     ), u AS (
       SELECT 'message' AS type, fi, ti, t, send_seq, recv_seq, received_at, msg, status, req_of, request, reply_of, reply, NULL::BIGINT AS seq FROM m
       UNION ALL
       SELECT 'exit', i, i, t, NULL, NULL, NULL, term, NULL, NULL, NULL, NULL, NULL, seq FROM x
     )
     SELECT type, fi, ti, t - ${int(t0)}, send_seq, recv_seq, received_at - ${int(t0)}, msg, status, req_of, request, reply_of, reply, seq, count(*) OVER () AS total
       FROM u ORDER BY t, coalesce(send_seq, seq) LIMIT ${ROW_LIMIT}`,
    'sequence',
  );
  let total = 0;
  const rows: SeqRow[] = r.rows.map((row) => {
    total = num(row[14]);
    if (row[0] === 'exit') return { type: 'exit', at: num(row[1]), t: num(row[3]), seq: num(row[13]), reason: str(row[7]) ?? '' };
    const msg = str(row[7]) ?? '';
    const isCall = row[9] !== null;
    const isReply = row[11] !== null;
    return {
      type: 'message',
      from: num(row[1]),
      to: num(row[2]),
      t: num(row[3]),
      sendSeq: row[4] === null ? null : num(row[4]),
      recvSeq: row[5] === null ? null : num(row[5]),
      receivedAt: row[6] === null ? null : num(row[6]),
      msg,
      role: isCall ? 'call' : isReply ? 'reply' : 'message',
      label: isCall ? (str(row[10]) ?? msg) : isReply ? (str(row[12]) ?? msg) : msg,
      callSeq: isCall ? num(row[9]) : isReply ? num(row[11]) : null,
      status: str(row[8]) ?? '',
    };
  });
  return { rows, total };
}
