import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { ANOMALY_KINDS, CREATE_ANOMALIES_ALL } from '../../src/engine/sql/anomalies';

// Each anomaly kind is one statement: run alone on a loaded recording it adds exactly that kind's rows of the
// engine's `anomalies` table, and the load's steps time each one it ran. A load skips the kinds that cannot have rows
// in it (src/engine/anomaly-guards.ts): run alone, a skipped kind adds none.
const FIXTURES = [
  'archives/demo.zip',
  'archives/crash.zip',
  'archives/flood.zip',
  // flood.zip's queued sends are receives its recorder dropped (`in_drop`): this one's flood is real
  'scenarios/mailbox-flood.zip',
  'archives/statem.zip',
  'scenarios/call-timeout.zip',
  'scenarios/name-resolution.zip',
  'scenarios/call-chain-timeout.zip',
  'scenarios/start-states.zip',
  'scenarios/gen-statem.zip',
];
const fixture = (rel: string) => ({ name: rel, bytes: new Uint8Array(readFileSync(new URL(`../fixtures/${rel}`, import.meta.url))) });

describe('anomalies, one statement per kind', () => {
  const fired = new Set<string>();
  // With the default thresholds no recording here has a state that grows enough; with lower ones the demo's do.
  const cases = [
    ...FIXTURES.map((rel) => [rel, {}] as const),
    ['archives/demo.zip', { state_growth_min_samples: 3, state_growth_min_size: 5, state_growth_ratio: 1.1 }] as const,
  ];
  test.each(cases)('%s %o: each kind alone gives the rows the full build gives', async (rel, params) => {
    const e = await Engine.create(await openNodeDuckDb());
    const report = await e.load([fixture(rel)]);
    expect(report.errors).toEqual([]);
    e.setParams(params);
    const timed = report.timings.steps.map((s) => s.sql).filter((sql) => sql.startsWith('INSERT INTO anomalies_all'));
    const ran = ANOMALY_KINDS.filter((k) => timed.includes(`INSERT INTO anomalies_all /* ${k.kind} */`));
    expect(timed).toEqual(ran.map((k) => `INSERT INTO anomalies_all /* ${k.kind} */`));
    const rowsOf = (sql: string) => e.query(sql, 100_000).rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
    for (const { kind, sql } of ANOMALY_KINDS) {
      e.query(CREATE_ANOMALIES_ALL);
      e.query(sql);
      const alone = rowsOf(`SELECT kind, severity, node, pid, ts, seq, summary, len(evidence) FROM anomalies_all ORDER BY ts, seq, pid, summary`);
      const full = rowsOf(
        `SELECT kind, severity, node, pid, ts, seq, summary, evidence_count FROM anomalies WHERE kind = '${kind}' ORDER BY ts, seq, pid, summary`,
      );
      expect(alone, kind).toEqual(full);
      expect(new Set(alone.map((r) => JSON.parse(r)[0]))).toEqual(new Set(alone.length ? [kind] : []));
      // The load ran with the default thresholds: a kind it skipped has no rows with them.
      if (Object.keys(params).length === 0 && !ran.some((k) => k.kind === kind)) expect(alone, `${kind} was skipped`).toEqual([]);
      if (alone.length > 0) fired.add(kind);
    }
    e.query('DROP TABLE anomalies_all');
  });

  test('a load without anomalies runs none of the kinds’ statements', async () => {
    const e = await Engine.create(await openNodeDuckDb());
    const report = await e.load([fixture('archives/demo.zip')]);
    expect(report.errors).toEqual([]);
    expect(e.query('SELECT count(*) FROM anomalies').rows).toEqual([[0]]);
    expect(report.timings.steps.filter((s) => s.sql.startsWith('INSERT INTO anomalies_all'))).toEqual([]);
  });

  test('the fixtures make the kinds fire', () => {
    console.log(`kinds fired: ${[...fired].sort().join(', ')}`);
    expect([...fired].sort()).toEqual([
      'call_timeout',
      'call_unanswered',
      'crash',
      'mailbox_growth',
      'orphan_reply',
      'restart_loop',
      'send_to_dead',
      'slow_call',
      'slow_callback',
      'state_growth',
      'unconsumed',
    ]);
  });
});
