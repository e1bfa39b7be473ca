import { readRows, sqlString, type RowOf, type Sql } from './rows';

/**
 * GenServer / gen_statem calls grouped by callee (its registered name, so
 * restarts group together) and request shape (the request tuple's first
 * element): latency percentiles, a histogram, the slowest calls and the calls
 * that got no reply.
 */
/** `call_shapes` (docs/SCHEMA.md): calls with their callee's name and the request's shape. */
const SHAPED = 'call_shapes';

/** One callee and request shape; null means every call. */
export type CallGroup = { callee: string; shape: string } | null;

const groupWhere = (g: CallGroup, extra: string) =>
  g === null ? `WHERE ${extra}` : `WHERE callee = ${sqlString(g.callee)} AND shape = ${sqlString(g.shape)} AND ${extra}`;

const GROUP = {
  callee: 'text?',
  shape: 'text?',
  n: 'int',
  timeouts: 'int',
  callee_exits: 'int',
  caller_exits: 'int',
  pending: 'int',
  /** No reply seen while the recorder dropped events (outcome in_drop: call_groups counts it only in \`calls\`). */
  in_drop: 'int',
  /** Calls that got no reply: the callee exited, the caller exited, still waiting when the trace ended, or in_drop. */
  no_reply: 'int',
  p50: 'num?',
  p95: 'num?',
  max: 'num?',
} as const;
export type CallGroupRow = RowOf<typeof GROUP>;

/** Latency per callee and request shape (the engine's `call_groups`), slowest p95 first. */
export async function callGroups(sql: Sql): Promise<CallGroupRow[]> {
  return readRows(
    'call groups',
    await sql(
      `SELECT callee, shape, calls AS n, timeouts, callee_exits, caller_exits, pending, calls - replies - timeouts - callee_exits - caller_exits - pending AS in_drop,
              calls - replies - timeouts AS no_reply,
              p50_ns AS p50, p95_ns AS p95, max_ns AS max
       FROM call_groups ORDER BY p95 DESC NULLS LAST, n DESC, callee, shape LIMIT 500`,
    ),
    GROUP,
  );
}

/** Latencies on round 1-2-5 buckets (`latency_histogram`): each bucket is [lo, hi) ns, empty ones between included. */
export async function callHistogram(sql: Sql, group: CallGroup): Promise<{ lo: number; hi: number; n: number }[]> {
  return readRows(
    'call histogram',
    await sql(`SELECT lo_ns AS lo, hi_ns AS hi, n FROM latency_histogram((SELECT list(latency_ns) FROM ${SHAPED} ${groupWhere(group, 'true')}))`),
    { lo: 'num', hi: 'num', n: 'int' },
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

/**
 * A \`:sys\` call (its request \`{:system, from, request}\`: get_state, suspend, a server's stop), as the request's
 * event shows it. OTP's tools and shutdowns make these, not the application's code.
 */
const SYSTEM_CALL = (seq: string) => `EXISTS (SELECT 1 FROM events e WHERE e.seq = ${seq} AND starts_with(e.term, '{:system, '))`;

/**
 * The slowest calls of the group; \`system\` false leaves the \`:sys\` calls out, true keeps only them (the report ranks
 * the application's calls apart from them).
 */
export async function slowestCalls(sql: Sql, group: CallGroup, limit = 25, system?: boolean): Promise<CallRow[]> {
  const which = system === undefined ? '' : ` AND ${system ? '' : 'NOT '}${SYSTEM_CALL('call_seq')}`;
  return readRows(
    'slowest calls',
    await sql(
      `SELECT ${CALL_COLUMNS} FROM ${SHAPED} ${groupWhere(group, `latency_ns IS NOT NULL${which}`)} ORDER BY latency_ns DESC, call_seq LIMIT ${Math.trunc(limit)}`,
    ),
    CALL,
  );
}

/** How many \`:sys\` calls have a latency (see slowestCalls). */
export async function systemCallCount(sql: Sql): Promise<number> {
  return readRows('system calls', await sql(`SELECT count(*) AS n FROM calls WHERE latency_ns IS NOT NULL AND ${SYSTEM_CALL('call_seq')}`), { n: 'int' })[0].n;
}

/** The group's calls that got no reply (timed out, or ended otherwise), in time order. */
export async function unansweredCalls(sql: Sql, group: CallGroup, limit = 200): Promise<CallRow[]> {
  return readRows(
    'unanswered calls',
    await sql(`SELECT ${CALL_COLUMNS} FROM ${SHAPED} ${groupWhere(group, "outcome <> 'reply'")} ORDER BY sent_at, call_seq LIMIT ${Math.trunc(limit)}`),
    CALL,
  );
}
