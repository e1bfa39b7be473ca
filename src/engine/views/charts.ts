/**
 * Series for the charts, bucketed in SQL over a time window: message rate,
 * mailbox depth (reconstructed from `messages`: sends to P whose send was
 * traced, minus P's receives of them) and state size (`states.state_size`),
 * one series per process. x is ms since the trace start.
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
  const BUCKET = { i: 'int', k: 'num', max: 'num', last: 'num' } as const;
  const INITIAL = { i: 'int', v: 'num?' } as const;
  const rate = readRows(
    'chart rate',
    await sql(
      `WITH ${L} SELECT l.i, ${bk('e.ts')} AS k, count(*) AS n FROM events e JOIN l ON l.node = e.node AND l.pid = e.pid
        WHERE e.kind IN ('send', 'receive') AND e.ts >= ${a} AND e.ts < ${b} GROUP BY ALL`,
      1_000_000,
    ),
    { i: 'int', k: 'num', n: 'int' },
  );
  // Depth changes: +1 when a message to P is sent, -1 when P receives it; running sum from the trace start.
  const mbx = readRows(
    'chart mailbox',
    await sql(
      `WITH ${L}, d AS (
         SELECT l.i, m.sent_at AS t, 1 AS dd FROM messages m JOIN l ON l.node = m.to_node AND l.pid = m.to_pid WHERE m.send_seq IS NOT NULL AND m.sent_at < ${b}
         UNION ALL
         SELECT l.i, m.received_at, -1 FROM messages m JOIN l ON l.node = m.to_node AND l.pid = m.to_pid
          WHERE m.send_seq IS NOT NULL AND m.recv_seq IS NOT NULL AND m.received_at < ${b}
       ), c AS (SELECT i, t, sum(dd) OVER (PARTITION BY i ORDER BY t, dd DESC ROWS UNBOUNDED PRECEDING) AS depth FROM d)
       SELECT i, ${bk('t')} AS k, max(depth) AS max, arg_max(depth, t) AS last FROM c WHERE t >= ${a} GROUP BY ALL`,
      1_000_000,
    ),
    BUCKET,
  );
  const mbx0 = readRows(
    'chart mailbox start',
    await sql(
      `WITH ${L}, d AS (
         SELECT l.i, m.sent_at AS t, 1 AS dd FROM messages m JOIN l ON l.node = m.to_node AND l.pid = m.to_pid WHERE m.send_seq IS NOT NULL AND m.sent_at < ${a}
         UNION ALL
         SELECT l.i, m.received_at, -1 FROM messages m JOIN l ON l.node = m.to_node AND l.pid = m.to_pid
          WHERE m.send_seq IS NOT NULL AND m.recv_seq IS NOT NULL AND m.received_at < ${a}
       ) SELECT i, sum(dd) AS v FROM d GROUP BY i`,
    ),
    INITIAL,
  );
  const st = readRows(
    'chart state size',
    await sql(
      `WITH ${L} SELECT l.i, ${bk('s.ts')} AS k, max(s.state_size) AS max, arg_max(s.state_size, s.ts) AS last FROM states s JOIN l ON l.node = s.node AND l.pid = s.pid
        WHERE s.ts >= ${a} AND s.ts < ${b} AND s.state_size IS NOT NULL GROUP BY ALL`,
      1_000_000,
    ),
    BUCKET,
  );
  const st0 = readRows(
    'chart state size start',
    await sql(
      `WITH ${L} SELECT l.i, arg_max(s.state_size, s.ts) AS v FROM states s JOIN l ON l.node = s.node AND l.pid = s.pid
        WHERE s.ts < ${a} AND s.state_size IS NOT NULL GROUP BY l.i`,
    ),
    INITIAL,
  );

  const perSecond = 1e9 / bucket;
  const rateS = procs.map(() => new Array<number | null>(n).fill(0));
  for (const row of rate) if (row.k >= 0 && row.k < n) rateS[row.i][row.k] = row.n * perSecond;

  // Step series: the max within a bucket where something changed, else the last value carried forward.
  const stepped = (rows: typeof mbx, initial: typeof mbx0, nullBefore: boolean) => {
    const out = empty();
    const maxAt = procs.map(() => new Map<number, { max: number; last: number }>());
    for (const row of rows) maxAt[row.i].set(row.k, { max: row.max, last: row.last });
    const init = new Map(initial.map((row) => [row.i, row.v]));
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

  return { x, rate: rateS, mailbox: stepped(mbx, mbx0, false), state: stepped(st, st0, true), bucket };
}
