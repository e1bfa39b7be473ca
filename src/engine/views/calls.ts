import { readRows, sqlString, type RowOf, type Sql } from './rows';

/**
 * GenServer / gen_statem calls grouped by callee (its registered name, so
 * restarts group together) and request shape (the request tuple's first
 * element): latency percentiles, a histogram, the slowest calls and the calls
 * that got no reply.
 */
const SHAPED = `(SELECT c.*, coalesce(p.name, c.callee_pid) AS callee,
    CASE WHEN starts_with(c.request, '{') THEN regexp_extract(c.request, '^\\{([^,{}\\[\\]]+)', 1) ELSE regexp_extract(c.request, '^([^ ,{\\[(]+)', 1) END AS shape
  FROM calls c LEFT JOIN processes p ON p.node = c.callee_node AND p.pid = c.callee_pid)`;

/** One callee and request shape; null means every call. */
export type CallGroup = { callee: string; shape: string } | null;

const groupWhere = (g: CallGroup, extra: string) =>
  g === null ? `WHERE ${extra}` : `WHERE callee = ${sqlString(g.callee)} AND shape = ${sqlString(g.shape)} AND ${extra}`;

const GROUP = {
  callee: 'text?',
  shape: 'text?',
  n: 'int',
  timeouts: 'int',
  other: 'int',
  p50: 'num?',
  p95: 'num?',
  max: 'num?',
} as const;
export type CallGroupRow = RowOf<typeof GROUP>;

/** Latency per callee and request shape, slowest p95 first. `other`: calls that ended neither in a reply nor a timeout (the caller exited or crashed, the callee died, the recording ended). */
export async function callGroups(sql: Sql): Promise<CallGroupRow[]> {
  return readRows(
    'call groups',
    await sql(
      `SELECT callee, shape, count(*) AS n, count(*) FILTER (WHERE outcome = 'timeout') AS timeouts,
              count(*) FILTER (WHERE outcome NOT IN ('reply', 'timeout')) AS other,
              quantile_cont(latency_ns, 0.5) AS p50, quantile_cont(latency_ns, 0.95) AS p95, max(latency_ns) AS max
       FROM ${SHAPED} GROUP BY ALL ORDER BY p95 DESC NULLS LAST, n DESC, callee, shape LIMIT 500`,
    ),
    GROUP,
  );
}

/** Latencies on log2 buckets: bucket `b` holds calls with latency in [2^b, 2^(b+1)) ns. */
export async function callHistogram(sql: Sql, group: CallGroup): Promise<{ b: number; n: number }[]> {
  return readRows(
    'call histogram',
    await sql(
      `SELECT floor(log2(greatest(latency_ns, 1)))::INTEGER AS b, count(*) AS n FROM ${SHAPED} ${groupWhere(group, 'latency_ns IS NOT NULL')} GROUP BY b ORDER BY b`,
    ),
    { b: 'int', n: 'int' },
  );
}

const CALL = {
  call_seq: 'int',
  caller_node: 'text',
  caller_pid: 'text',
  callee_node: 'text?',
  callee_pid: 'text?',
  callee: 'text?',
  request: 'text?',
  reply: 'text?',
  sent_at: 'big',
  latency_ns: 'num?',
  outcome: 'text?',
} as const;
export type CallRow = RowOf<typeof CALL>;

const CALL_COLUMNS = 'call_seq, caller_node, caller_pid, callee_node, callee_pid, callee, request, reply, sent_at, latency_ns, outcome';

/** The slowest calls of the group. */
export async function slowestCalls(sql: Sql, group: CallGroup, limit = 25): Promise<CallRow[]> {
  return readRows(
    'slowest calls',
    await sql(
      `SELECT ${CALL_COLUMNS} FROM ${SHAPED} ${groupWhere(group, 'latency_ns IS NOT NULL')} ORDER BY latency_ns DESC, call_seq LIMIT ${Math.trunc(limit)}`,
    ),
    CALL,
  );
}

/** The group's calls that got no reply (timed out, or ended otherwise), in time order. */
export async function unansweredCalls(sql: Sql, group: CallGroup, limit = 200): Promise<CallRow[]> {
  return readRows(
    'unanswered calls',
    await sql(`SELECT ${CALL_COLUMNS} FROM ${SHAPED} ${groupWhere(group, "outcome <> 'reply'")} ORDER BY sent_at, call_seq LIMIT ${Math.trunc(limit)}`),
    CALL,
  );
}
