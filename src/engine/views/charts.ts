/**
 * Series for the charts, bucketed in SQL over a time window: message rate,
 * mailbox depth (the engine's `mailbox_depth_buckets`: queue length as
 * `mailbox_at` reconstructs it) and state size (`state_size_buckets`), one
 * series per process. x is ms since the trace start.
 */
import { readRows, sqlInt, sqlString, type Sql } from './rows';
import type { ProcessRef } from './state';

export interface ChartData {
  x: number[];
  rate: (number | null)[][];
  mailbox: (number | null)[][];
  state: (number | null)[][];
  /** ns per bucket. */
  bucket: number;
}

/** The `n` processes that received the most messages: the charts' default selection. */
export async function chartBusiest(sql: Sql, n: number): Promise<ProcessRef[]> {
  const rows = readRows(
    'chart busiest',
    await sql(
      `SELECT to_node, to_pid, count(*) AS c FROM messages WHERE to_pid IS NOT NULL AND recv_seq IS NOT NULL
       GROUP BY ALL ORDER BY c DESC, to_node, to_pid LIMIT ${Math.trunc(n)}`,
    ),
    { to_node: 'text', to_pid: 'text' },
  );
  return rows.map((r) => ({ node: r.to_node, pid: r.to_pid }));
}

const int = (n: bigint | number) => sqlInt(typeof n === 'number' ? Math.round(n) : n);

/** The series of `procs` over [start, end) ns after `t0`, in about `buckets` buckets. */
export async function chartSeries(sql: Sql, t0: bigint, procs: ProcessRef[], start: number, end: number, buckets: number): Promise<ChartData> {
  const bucket = Math.max(1, Math.ceil((end - start) / Math.max(1, buckets)));
  const n = Math.max(1, Math.ceil((end - start) / bucket));
  const x = Array.from({ length: n }, (_, i) => (start + i * bucket) / 1e6);
  const empty = () => procs.map(() => new Array<number | null>(n).fill(null));
  if (procs.length === 0) return { x, rate: [], mailbox: [], state: [], bucket };
  const L = `l(i, node, pid) AS (VALUES ${procs.map((p, i) => `(${i}, ${sqlString(p.node)}, ${sqlString(p.pid)})`).join(', ')})`;
  const a = `(${int(t0)} + ${int(start)})`;
  const b = `(${int(t0)} + ${int(start + n * bucket)})`;
  const bk = (col: string) => `((${col} - ${a}) // ${int(bucket)})`;
  const rate = readRows(
    'chart rate',
    await sql(
      `WITH ${L} SELECT l.i, ${bk('e.ts')} AS k, count(*) AS n FROM events e JOIN l ON l.node = e.node AND l.pid = e.pid
        WHERE e.kind IN ('send', 'receive') AND e.ts >= ${a} AND e.ts < ${b} GROUP BY ALL`,
      1_000_000,
    ),
    { i: 'int', k: 'num', n: 'int' },
  );
  // Mailbox depth and state size come bucketed from the engine: the same reconstruction as mailbox_at and
  // state_at, so the chart cannot disagree with them.
  const series = async (what: string, macro: string, max: string, end: string) =>
    readRows(
      what,
      await sql(
        `WITH ${L} SELECT l.i, s.bucket AS k, s.${max} AS max, s.${end} AS last FROM ${macro}(${a}, ${int(bucket)}, ${n}) s
          JOIN l ON l.node = s.node AND l.pid = s.pid`,
        1_000_000,
      ),
      { i: 'int', k: 'num', max: 'num', last: 'num' },
    );
  const mbx = await series('chart mailbox', 'mailbox_depth_buckets', 'depth_max', 'depth_end');
  const st = await series('chart state size', 'state_size_buckets', 'size_max', 'size_end');

  const perSecond = 1e9 / bucket;
  const rateS = procs.map(() => new Array<number | null>(n).fill(0));
  for (const row of rate) if (row.k >= 0 && row.k < n) rateS[row.i][row.k] = row.n * perSecond;

  // Step series: the bucket's max where the value changed in it (or was carried into the window), else the previous end.
  const stepped = (rows: typeof mbx, before: number | null) => {
    const out = empty();
    const maxAt = procs.map(() => new Map<number, { max: number; last: number }>());
    for (const row of rows) maxAt[row.i].set(row.k, { max: row.max, last: row.last });
    procs.forEach((_, i) => {
      let v: number | null = before;
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

  return { x, rate: rateS, mailbox: stepped(mbx, 0), state: stepped(st, null), bucket };
}
