/**
 * Rows of the sequence diagram: messages between the chosen processes (calls
 * and their replies labelled and paired through the `calls` table; signals,
 * which have no send, at their sender's exit) and the exits of those
 * processes, in time order, within a time window.
 */
import { comparePids } from './pids';
import { readRows, sqlInt, sqlString, type Sql } from './rows';
import type { ProcessRef } from './state';

export interface ProcessOption extends ProcessRef {
  name: string | null;
  messages: number;
}

export type SeqRow =
  | {
      type: 'message';
      from: number;
      to: number;
      /** ns since `t0`. */
      t: number;
      sendSeq: number | null;
      recvSeq: number | null;
      receivedAt: number | null;
      msg: string;
      /**
       * `call` (a gen call request), `reply` (its reply), `signal` (no send: an exit's or a monitor's message, which
       * the runtime made; its row is at its sender's exit when that came first, signal-origin.ts), or plain `message`.
       */
      role: 'call' | 'reply' | 'signal' | 'message';
      label: string;
      /** call_seq of the call this row belongs to (both request and reply rows). */
      callSeq: number | null;
      status: string;
    }
  | { type: 'exit'; at: number; t: number; seq: number; reason: string };

export const SEQUENCE_ROW_LIMIT = 400;

/** Every process with events, with how many messages it sent or received; named ones first. */
export async function sequenceProcesses(sql: Sql): Promise<ProcessOption[]> {
  const rows = readRows(
    'sequence processes',
    await sql(
      `WITH m AS (
         SELECT from_node AS node, from_pid AS pid FROM messages WHERE from_pid IS NOT NULL
         UNION ALL SELECT to_node, to_pid FROM messages WHERE to_pid IS NOT NULL
       ), e AS (SELECT DISTINCT node, pid FROM events WHERE pid IS NOT NULL)
       SELECT e.node, e.pid, any_value(p.name) AS name, count(m.pid) AS messages
         FROM e LEFT JOIN m ON m.node = e.node AND m.pid = e.pid
         LEFT JOIN processes p ON p.node = e.node AND p.pid = e.pid
        GROUP BY e.node, e.pid`,
      1_000_000,
    ),
    { node: 'text', pid: 'text', name: 'text?', messages: 'int' },
  );
  rows.sort((a, b) => (a.name && !b.name ? -1 : !a.name && b.name ? 1 : a.name && b.name ? a.name.localeCompare(b.name) : comparePids(a.pid, b.pid)));
  return rows;
}

/** The two processes that exchanged the most messages: a starting point before anyone chooses. */
export async function sequenceSuggested(sql: Sql): Promise<ProcessRef[]> {
  const [row] = readRows(
    'sequence suggestion',
    await sql(
      `SELECT from_node, from_pid, to_node, to_pid, count(*) AS n FROM messages
        WHERE from_pid IS NOT NULL AND to_pid IS NOT NULL AND from_pid <> to_pid
        GROUP BY ALL ORDER BY n DESC, from_pid, to_pid LIMIT 1`,
    ),
    { from_node: 'text', from_pid: 'text', to_node: 'text', to_pid: 'text' },
  );
  if (!row) return [];
  return [
    { node: row.from_node, pid: row.from_pid },
    { node: row.to_node, pid: row.to_pid },
  ];
}

/** The diagram's rows for lanes `procs` (row `from`/`to`/`at` index into it), times relative to `t0`, within `win`. */
export async function sequenceRows(
  sql: Sql,
  t0: bigint,
  procs: ProcessRef[],
  win: { start: bigint; end: bigint } | null,
): Promise<{ rows: SeqRow[]; total: number }> {
  if (procs.length === 0) return { rows: [], total: 0 };
  const values = procs.map((p, i) => `(${i}, ${sqlString(p.node)}, ${sqlString(p.pid)})`).join(', ');
  const inWin = (col: string) => (win ? `${col} >= ${sqlInt(win.start)} AND ${col} <= ${sqlInt(win.end)}` : 'true');
  const rows = readRows(
    'sequence',
    await sql(
      `WITH l(i, node, pid) AS (VALUES ${values}),
       m AS (
         SELECT lf.i AS fi, lt.i AS ti, coalesce(m.sent_at, m.received_at) AS t, m.send_seq, m.recv_seq, m.received_at, m.msg, m.status,
                c.call_seq AS req_of, c.request, r.call_seq AS reply_of, r.reply
           FROM messages m
           JOIN l lf ON lf.node = m.from_node AND lf.pid = m.from_pid
           JOIN l lt ON lt.node = m.to_node AND lt.pid = m.to_pid
           LEFT JOIN calls c ON c.call_seq = m.send_seq
           LEFT JOIN calls r ON r.reply_seq = m.send_seq
          WHERE m.status <> 'signal' AND ${inWin('coalesce(m.sent_at, m.received_at)')}
         UNION ALL
         SELECT lf.i, lt.i, s.started_at, NULL, s.recv_seq, s.received_at, s.msg, 'signal', NULL, NULL, NULL, NULL
           FROM signal_lines s
           JOIN l lf ON lf.node = s.from_node AND lf.pid = s.from_pid
           JOIN l lt ON lt.node = s.to_node AND lt.pid = s.to_pid
          WHERE ${inWin('s.started_at')}
       ), x AS (
         SELECT l.i, e.ts AS t, e.seq, e.term FROM events e JOIN l ON l.node = e.node AND l.pid = e.pid
          WHERE e.kind = 'exit' AND ${inWin('e.ts')}
       ), u AS (
         SELECT 'message' AS type, fi, ti, t, send_seq, recv_seq, received_at, msg, status, req_of, request, reply_of, reply, NULL::BIGINT AS seq FROM m
         UNION ALL
         SELECT 'exit', i, i, t, NULL, NULL, NULL, term, NULL, NULL, NULL, NULL, NULL, seq FROM x
       )
       SELECT type, fi, ti, t - ${sqlInt(t0)} AS t, send_seq, recv_seq, received_at - ${sqlInt(t0)} AS received_at, msg, status,
              req_of, request, reply_of, reply, seq, count(*) OVER () AS total
         FROM u ORDER BY u.t, coalesce(send_seq, seq), recv_seq LIMIT ${SEQUENCE_ROW_LIMIT}`,
    ),
    {
      type: 'text',
      fi: 'int',
      ti: 'int',
      t: 'num',
      send_seq: 'int?',
      recv_seq: 'int?',
      received_at: 'num?',
      msg: 'text?',
      status: 'text?',
      req_of: 'int?',
      request: 'text?',
      reply_of: 'int?',
      reply: 'text?',
      seq: 'int?',
      total: 'int',
    },
  );
  const total = rows[0]?.total ?? 0;
  return {
    total,
    rows: rows.map((row): SeqRow => {
      if (row.type === 'exit') return { type: 'exit', at: row.fi, t: row.t, seq: row.seq ?? -1, reason: row.msg ?? '' };
      const msg = row.msg ?? '';
      const isCall = row.req_of !== null;
      const isReply = row.reply_of !== null;
      const isSignal = row.status === 'signal';
      return {
        type: 'message',
        from: row.fi,
        to: row.ti,
        t: row.t,
        sendSeq: row.send_seq,
        recvSeq: row.recv_seq,
        receivedAt: row.received_at,
        msg,
        role: isCall ? 'call' : isReply ? 'reply' : isSignal ? 'signal' : 'message',
        label: isCall ? (row.request ?? msg) : isReply ? (row.reply ?? msg) : msg,
        callSeq: isCall ? row.req_of : isReply ? row.reply_of : null,
        status: row.status ?? '',
      };
    }),
  };
}
