/**
 * Series for the charts, bucketed in SQL over the shared view window: message
 * rate, mailbox depth (reconstructed from `messages`: sends to P whose send
 * was traced, minus P's receives of them) and state size (`states.state_size`),
 * one series per process. x is ms since the trace start.
 */
import type { ProcessRef, Session } from '../../lib/session.svelte';
import { int, lit, num, str } from '../timeline/sql-text';

export interface ChartData {
  x: number[];
  rate: (number | null)[][];
  mailbox: (number | null)[][];
  state: (number | null)[][];
  /** ns per bucket. */
  bucket: number;
}

export async function queryBusiest(session: Session, n: number): Promise<ProcessRef[]> {
  const r = await session.query(
    `SELECT to_node, to_pid, count(*) AS c FROM messages WHERE to_pid IS NOT NULL AND recv_seq IS NOT NULL GROUP BY ALL ORDER BY c DESC LIMIT ${n}`,
  );
  return r.rows.map((row) => ({ node: str(row[0])!, pid: str(row[1])! }));
}

export async function queryCharts(session: Session, t0: bigint, procs: ProcessRef[], start: number, end: number, buckets: number): Promise<ChartData> {
  const bucket = Math.max(1, Math.ceil((end - start) / buckets));
  const n = Math.max(1, Math.ceil((end - start) / bucket));
  const x = Array.from({ length: n }, (_, i) => (start + i * bucket) / 1e6);
  const empty = () => procs.map(() => new Array<number | null>(n).fill(null));
  if (procs.length === 0) return { x, rate: [], mailbox: [], state: [], bucket };
  const L = `l(i, node, pid) AS (VALUES ${procs.map((p, i) => `(${i}, ${lit(p.node)}, ${lit(p.pid)})`).join(', ')})`;
  const a = `(${int(t0)} + ${int(start)})`;
  const b = `(${int(t0)} + ${int(start + n * bucket)})`;
  const bk = (col: string) => `((${col} - ${a}) // ${int(bucket)})`;
  const [rate, mbx, mbx0, st, st0] = await Promise.all([
    session.query(
      `WITH ${L} SELECT l.i, ${bk('e.ts')} AS k, count(*) FROM events e JOIN l ON l.node = e.node AND l.pid = e.pid
        WHERE e.kind IN ('send', 'receive') AND e.ts >= ${a} AND e.ts < ${b} GROUP BY ALL`,
      'charts-rate',
    ),
    // Depth changes: +1 when a message to P is sent, -1 when P receives it; running sum from the trace start.
    session.query(
      `WITH ${L}, d AS (
         SELECT l.i, m.sent_at AS t, 1 AS dd FROM messages m JOIN l ON l.node = m.to_node AND l.pid = m.to_pid WHERE m.send_seq IS NOT NULL AND m.sent_at < ${b}
         UNION ALL
         SELECT l.i, m.received_at, -1 FROM messages m JOIN l ON l.node = m.to_node AND l.pid = m.to_pid
          WHERE m.send_seq IS NOT NULL AND m.recv_seq IS NOT NULL AND m.received_at < ${b}
       ), c AS (SELECT i, t, sum(dd) OVER (PARTITION BY i ORDER BY t, dd DESC ROWS UNBOUNDED PRECEDING) AS depth FROM d)
       SELECT i, ${bk('t')} AS k, max(depth), arg_max(depth, t) FROM c WHERE t >= ${a} GROUP BY ALL`,
      'charts-mailbox',
    ),
    session.query(
      `WITH ${L}, d AS (
         SELECT l.i, m.sent_at AS t, 1 AS dd FROM messages m JOIN l ON l.node = m.to_node AND l.pid = m.to_pid WHERE m.send_seq IS NOT NULL AND m.sent_at < ${a}
         UNION ALL
         SELECT l.i, m.received_at, -1 FROM messages m JOIN l ON l.node = m.to_node AND l.pid = m.to_pid
          WHERE m.send_seq IS NOT NULL AND m.recv_seq IS NOT NULL AND m.received_at < ${a}
       ) SELECT i, sum(dd) FROM d GROUP BY i`,
      'charts-mailbox0',
    ),
    session.query(
      `WITH ${L} SELECT l.i, ${bk('s.ts')} AS k, max(s.state_size), arg_max(s.state_size, s.ts) FROM states s JOIN l ON l.node = s.node AND l.pid = s.pid
        WHERE s.ts >= ${a} AND s.ts < ${b} AND s.state_size IS NOT NULL GROUP BY ALL`,
      'charts-state',
    ),
    session.query(
      `WITH ${L} SELECT l.i, arg_max(s.state_size, s.ts) FROM states s JOIN l ON l.node = s.node AND l.pid = s.pid
        WHERE s.ts < ${a} AND s.state_size IS NOT NULL GROUP BY l.i`,
      'charts-state0',
    ),
  ]);

  const perSecond = 1e9 / bucket;
  const rateS = procs.map(() => new Array<number | null>(n).fill(0));
  for (const row of rate.rows) {
    const k = num(row[1]);
    if (k >= 0 && k < n) rateS[num(row[0])][k] = num(row[2]) * perSecond;
  }

  // Step series: the max within a bucket where something changed, else the last value carried forward.
  const stepped = (rows: typeof mbx.rows, initial: typeof mbx0.rows, nullBefore: boolean) => {
    const out = empty();
    const maxAt = procs.map(() => new Map<number, { max: number; last: number }>());
    for (const row of rows) maxAt[num(row[0])].set(num(row[1]), { max: num(row[2]), last: num(row[3]) });
    const init = new Map(initial.map((row) => [num(row[0]), num(row[1])]));
    procs.forEach((_, i) => {
      let v: number | null = init.get(i) ?? (nullBefore ? null : 0);
      for (let k = 0; k < n; k++) {
        const hit = maxAt[i].get(k);
        if (hit) {
          out[i][k] = hit.max;
          v = hit.last;
        } else out[i][k] = v;
      }
    });
    return out;
  };

  return { x, rate: rateS, mailbox: stepped(mbx.rows, mbx0.rows, false), state: stepped(st.rows, st0.rows, true), bucket };
}
