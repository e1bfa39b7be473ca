import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { scenarioBytes } from './scenarios-load';

// test/scenarios/otp_services.exs: inets' HTTP server and client, every process recorded. httpd's request handler and
// httpc's handler start with proc_lib and their `init/1` enters the server's loop (`gen_server:enter_loop`): it never
// returns, and every callback after it runs inside it.
describe.each(['sql', 'stream'] as const)('otp-services.zip, analyses: %s', (analyses) => {
  // Regression test: the raw-trace rule (a function that returns nowhere in the trace opens no level) put such an
  // `init/1` and its callbacks at depth 0, one over the other: the Timeline drew the open init across its callbacks.
  test("a server's init/1 that entered its loop is its callbacks' parent, one level up", async () => {
    const engine = await Engine.create(await openNodeDuckDb(), { analyses });
    const report = await engine.load([{ name: 'otp-services.zip', bytes: scenarioBytes('otp-services.zip') }]);
    expect(report.errors).toEqual([]);
    const rows = engine.query(
      `SELECT i.mfa, i.depth, i.outcome, count(c.call_seq)::INTEGER AS inside, min(c.depth) AS dmin, max(c.depth) AS dmax,
              count(*) FILTER (WHERE c.parent_seq = i.call_seq)::INTEGER AS children
         FROM spans i JOIN spans c ON c.node = i.node AND c.pid = i.pid AND c.call_seq > i.call_seq
        WHERE i.mfa LIKE '%.init/1' AND i.outcome = 'unfinished'
        GROUP BY ALL ORDER BY i.mfa`,
    ).rows;
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      [':httpc_handler.init/1', 0, 'unfinished'],
      [':httpd_request_handler.init/1', 0, 'unfinished'],
    ]);
    for (const [, , , inside, dmin, dmax, children] of rows) {
      expect(inside).toBeGreaterThan(10);
      expect([dmin, dmax]).toEqual([1, 1]);
      expect(children).toBe(inside);
    }
  }, 120_000);
});
