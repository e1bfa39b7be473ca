/**
 * Series for the charts, bucketed in SQL over the shared view window: message
 * rate, mailbox depth (the engine's `mailbox_depth_buckets`: queue length as
 * `mailbox_at` reconstructs it) and state size (`state_size_buckets`), one
 * series per process. x is ms since the trace start.
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
  // Mailbox depth and state size come bucketed from the engine (mailbox_depth_buckets, state_size_buckets):
  // the same reconstruction as mailbox_at and state_at, so the chart cannot disagree with them.
  const series = (macro: string, cols: string, key: string) =>
    session.query(`WITH ${L} SELECT l.i, s.bucket, ${cols} FROM ${macro}(${a}, ${int(bucket)}, ${n}) s JOIN l ON l.node = s.node AND l.pid = s.pid`, key);
  const [rate, mbx, st] = await Promise.all([
    session.query(
      `WITH ${L} SELECT l.i, ${bk('e.ts')} AS k, count(*) FROM events e JOIN l ON l.node = e.node AND l.pid = e.pid
        WHERE e.kind IN ('send', 'receive') AND e.ts >= ${a} AND e.ts < ${b} GROUP BY ALL`,
      'charts-rate',
    ),
    series('mailbox_depth_buckets', 's.depth_max, s.depth_end', 'charts-mailbox'),
    series('state_size_buckets', 's.size_max, s.size_end', 'charts-state'),
  ]);

  const perSecond = 1e9 / bucket;
  const rateS = procs.map(() => new Array<number | null>(n).fill(0));
  for (const row of rate.rows) {
    const k = num(row[1]);
    if (k >= 0 && k < n) rateS[num(row[0])][k] = num(row[2]) * perSecond;
  }

  // Step series: the bucket's max where the value changed in it (or was carried into the window), else the previous end.
  const stepped = (rows: typeof mbx.rows, before: number | null) => {
    const out = empty();
    const at = procs.map(() => new Map<number, { max: number; end: number }>());
    for (const row of rows) at[num(row[0])].set(num(row[1]), { max: num(row[2]), end: num(row[3]) });
    procs.forEach((_, i) => {
      let v = before;
      for (let k = 0; k < n; k++) {
        const hit = at[i].get(k);
        if (hit) {
          out[i][k] = hit.max;
          v = hit.end;
        } else out[i][k] = v;
      }
    });
    return out;
  };

  return { x, rate: rateS, mailbox: stepped(mbx.rows, 0), state: stepped(st.rows, null), bucket };
}
