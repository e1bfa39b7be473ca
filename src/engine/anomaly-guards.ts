import { ABNORMAL, ANOMALY_KINDS } from './sql/anomalies';
import type { BuildStep } from './sql/build';

/**
 * Which anomaly kinds can have rows in a load, asked in one statement before the kinds' own statements run, so a load
 * skips the kinds that cannot (the anomalies step's ~25 statements were about a quarter of the demo summary's
 * statement time, most of it their fixed cost: the demo has no anomaly at all). Each test here is a condition every
 * row of its kind's statement (sql/anomalies.ts ANOMALY_KINDS) needs, read from the same tables with the same
 * thresholds (\`params\`), so a skipped kind is one that would have added nothing. test/unit/anomaly-kinds.test.ts
 * runs every kind alone on recordings where each fires and holds the skipped ones to no rows.
 */
const MAY_FIRE: Record<string, string> = {
  crash: `EXISTS (SELECT 1 FROM events WHERE kind = 'exit' AND ${ABNORMAL('term')})`,
  // a restart is a spawn after an earlier spawn of the same child, which exited abnormally
  restart_loop: `(SELECT count(*) FROM events WHERE kind = 'spawn') >= 2
    AND EXISTS (SELECT 1 FROM processes WHERE exited_at IS NOT NULL AND ${ABNORMAL('exit_reason')})`,
  mailbox_growth: `coalesce((SELECT max(depth) FROM mailbox_depth) >= param('mailbox_threshold'), false)`,
  slow_callback: `coalesce((SELECT max(duration_ns) FROM spans WHERE outcome IN ('return', 'exception')) >= param('slow_callback_floor_ms') * 1e6, false)`,
  slow_call: `coalesce((SELECT max(latency_ns) FROM calls WHERE outcome = 'reply') >= param('slow_call_floor_ms') * 1e6, false)`,
  call_timeout: `EXISTS (SELECT 1 FROM calls WHERE outcome = 'timeout')`,
  call_unanswered: `EXISTS (SELECT 1 FROM calls WHERE outcome IN ('pending', 'callee_exit', 'caller_exit'))`,
  send_to_dead: `EXISTS (SELECT 1 FROM events WHERE kind = 'send_to_dead')`,
  // a process with enough states, whose last state's size (at most its largest) is big enough
  state_growth: `EXISTS (SELECT 1 FROM states GROUP BY node, pid
    HAVING count(*) >= param('state_growth_min_samples') AND max(state_size) >= param('state_growth_min_size'))`,
  orphan_reply: `EXISTS (SELECT 1 FROM calls WHERE outcome = 'timeout')`,
  unconsumed: `EXISTS (SELECT 1 FROM messages WHERE status IN ('queued_at_end', 'receiver_exited'))`,
};

/** One row: for each kind of ANOMALY_KINDS, in order, whether it may have rows. */
export const ANOMALY_GUARDS = `SELECT ${ANOMALY_KINDS.map((k) => `${MAY_FIRE[k.kind] ?? 'true'} AS "${k.kind}"`).join(',\n       ')}`;

/** Where the build asks ANOMALY_GUARDS: in the anomalies step, before its first kind's statement (after \`params\`). */
export const GUARD_STEP = Symbol('anomaly guards');

/** \`plan\` with GUARD_STEP before the first anomaly kind's statement. */
export function withAnomalyGuards(plan: readonly BuildStep[]): BuildStep[] {
  const first = ANOMALY_KINDS[0].sql;
  return plan.map((s) => {
    const at = s.sql.indexOf(first);
    return at < 0 ? s : { ...s, sql: [...s.sql.slice(0, at), GUARD_STEP, ...s.sql.slice(at)] };
  });
}

/** The statements of the kinds that cannot have rows, from ANOMALY_GUARDS' row. */
export function skippedKinds(row: readonly unknown[]): Set<string> {
  return new Set(ANOMALY_KINDS.filter((_, i) => row[i] === false).map((k) => k.sql));
}
