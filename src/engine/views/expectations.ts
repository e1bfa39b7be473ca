import { EXAMPLE_EXPECTATIONS, parseExpectations, runExpectations, type CheckResult } from '../analyses/expectations';
import type { Sql } from './rows';

export { EXAMPLE_EXPECTATIONS };

/**
 * Parses an expectations file (docs/EXPECTATIONS.md, the grammar `otpscope
 * check` reads) and runs every check; each failure keeps its first `rows`
 * counter-examples. `checks` is 0 when the text has no `-- check:` header.
 */
export async function checkExpectations(sql: Sql, text: string, opts: { rows?: number } = {}): Promise<{ checks: number; results: CheckResult[] }> {
  const checks = parseExpectations(text);
  return { checks: checks.length, results: await runExpectations(checks, sql, { rows: opts.rows ?? 200 }) };
}
