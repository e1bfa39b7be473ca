import type { Check } from '../analyses/expectations';
import { LATENCY_FLOOR_NS } from './sql';

/**
 * One-line expectations over the compare tables, for CI
 * (`otpscope compare A B --expect 'p95 ratio < 1.5'`; docs/EXPECTATIONS.md):
 * `METRIC OP NUMBER`, compiled to a check whose counter-examples are the rows
 * that break it. Ratios skip call groups faster than 1 ms at that percentile
 * in both recordings (jitter on microsecond calls is no regression) and
 * groups missing from either recording. The counter-example's event is its
 * evidence in A (`a_seq`).
 */
const METRICS: Record<string, { table: string; value: string; where?: string; show: string; seq?: string }> = {
  'p50 ratio': { table: 'compare_calls', value: 'p50_ratio', where: `greatest(p50_a, p50_b) >= ${LATENCY_FLOOR_NS}`, show: 'callee, shape, p50_a, p50_b' },
  'p95 ratio': { table: 'compare_calls', value: 'p95_ratio', where: `greatest(p95_a, p95_b) >= ${LATENCY_FLOOR_NS}`, show: 'callee, shape, p95_a, p95_b' },
  'max ratio': { table: 'compare_calls', value: 'max_ratio', where: `greatest(max_a, max_b) >= ${LATENCY_FLOOR_NS}`, show: 'callee, shape, max_a, max_b' },
  'timeouts delta': { table: 'compare_calls', value: 'timeouts_b - timeouts_a', show: 'callee, shape, timeouts_a, timeouts_b' },
  'calls delta': { table: 'compare_calls', value: 'n_b - n_a', show: 'callee, shape, n_a, n_b' },
  'messages delta': { table: 'compare_messages', value: 'n_b - n_a', show: 'sender, receiver, shape, n_a, n_b' },
  'crashes delta': { table: 'compare_processes', value: 'crashed_b - crashed_a', show: 'role, crashed_a, crashed_b' },
  'restarts delta': { table: 'compare_restarts', value: 'restarts_b - restarts_a', show: 'supervisor, child, restarts_a, restarts_b' },
  'anomalies delta': { table: 'compare_anomalies', value: 'n_b - n_a', show: 'kind, role, n_a, n_b, summary_b' },
  'mailbox peak ratio': {
    table: 'compare_mailbox',
    value: 'peak_b / nullif(peak_a, 0)',
    show: 'role, ordinal, a_pid, b_pid, peak_a, peak_b',
    seq: 'a_peak_seq',
  },
  'state size ratio': {
    table: 'compare_mailbox',
    value: 'size_last_b / nullif(size_last_a, 0)',
    show: 'role, ordinal, a_pid, b_pid, size_last_a, size_last_b',
    seq: 'a_state_seq',
  },
};

export const COMPARE_METRICS = Object.keys(METRICS);

const FORM = /^\s*([a-z0-9 ]+?)\s*(<=|>=|<|>|=|!=)\s*(-?\d+(?:\.\d+)?)\s*$/i;

export class CompareExpectationError extends Error {}

/** Compiles `p95 ratio < 1.5` to a check; throws CompareExpectationError naming what is wrong. */
export function compileCompareExpectation(text: string): Check {
  const m = FORM.exec(text);
  if (!m) throw new CompareExpectationError(`expectation "${text}": expected METRIC OP NUMBER, e.g. "p95 ratio < 1.5"`);
  const metric = METRICS[m[1].toLowerCase().replace(/\s+/g, ' ')];
  if (metric === undefined) throw new CompareExpectationError(`expectation "${text}": unknown metric "${m[1]}"; known: ${COMPARE_METRICS.join(', ')}`);
  const [op, n] = [m[2], m[3]];
  const sql = `SELECT ${metric.show}, ${metric.value} AS value, ${metric.seq ?? 'a_seq'} AS a_seq FROM ${metric.table}
WHERE (${metric.value}) IS NOT NULL ${metric.where ? `AND ${metric.where}` : ''} AND NOT ((${metric.value}) ${op} ${n})
ORDER BY value DESC`;
  return { name: text.trim(), sql, line: 0 };
}
