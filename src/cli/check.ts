import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Engine, LoadReport } from '../engine/engine';
import { parseExpectations, runExpectations, type Check, type CheckResult } from '../engine/analyses/expectations';
import type { Cell } from '../engine/result';
import { CliError } from './load-files';
import { queriesTables } from './query-tables';

/**
 * `otpscope check FILE... --expect EXPECTATIONS.sql`: runs expectations, exits non-zero on failure. The load builds
 * the tables the checks name (and \`events\`, where a counter-example's event is looked up), as \`query\` does; if a
 * check then fails to run, every table is built and that check runs again, so its error (DuckDB's "Did you mean"
 * picks from the tables that exist) and every other line read as they would with the whole analysis built.
 */
export async function check(
  args: string[],
  load: (files: string[], options: { tables?: readonly string[] }) => Promise<{ engine: Engine; report: LoadReport }>,
  loadRest: (engine: Engine, report: LoadReport) => Promise<Engine>,
): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { expect: { type: 'string' } } });
  if (values.expect === undefined) throw new CliError('check needs --expect EXPECTATIONS.sql');
  const text = await readFile(values.expect, 'utf8').catch(() => {
    throw new CliError(`${values.expect}: cannot read`);
  });
  const checks = parseExpectations(text);
  if (checks.length === 0) throw new CliError(`${values.expect}: no "-- check: NAME" headers found`);
  const tables = queriesTables(
    checks.map((c) => c.sql),
    ['events'],
  );
  const { engine, report } = await load(positionals, { tables });
  const run = (some: Check[]) => runExpectations(some, (sql, max) => engine.query(sql, max));
  const results = await run(checks);
  const failed = results.flatMap((r, i) => (r.error === undefined ? [] : [i]));
  if (tables !== undefined && failed.length > 0) {
    // Only the checks that did not run go again: a check may change the database (it is the user's SQL).
    await loadRest(engine, report);
    const again = await run(failed.map((i) => checks[i]));
    failed.forEach((i, k) => (results[i] = again[k]));
  }
  return printResults(results, values.expect) > 0 ? 1 : 0;
}

/** Prints one PASS/FAIL line per check (with the first counter-example and its event) and a total; returns how many failed. `source`: where the checks came from (one per result, or one for all). */
export function printResults(results: CheckResult[], source: string | string[]): number {
  const from = (i: number) => (typeof source === 'string' ? source : source[i]);
  const where = (r: CheckResult) => (r.line > 0 ? `${from(results.indexOf(r))}:${r.line}` : from(results.indexOf(r)));
  const show = (v: Cell) => (v === null ? 'NULL' : String(v));
  for (const r of results) {
    if (r.passed) {
      console.log(`PASS  ${r.name}`);
      continue;
    }
    if (r.error !== undefined) {
      console.log(`FAIL  ${r.name} (${where(r)}): query error: ${r.error}`);
      continue;
    }
    console.log(`FAIL  ${r.name} (${where(r)}): ${r.failures} counter-example${r.failures === 1 ? '' : 's'}`);
    console.log(
      `      first: ${Object.entries(r.first!)
        .map(([k, v]) => `${k}=${show(v)}`)
        .join(' ')}`,
    );
    if (r.event)
      console.log(
        `      event: ${Object.entries(r.event)
          .map(([k, v]) => `${k}=${show(v)}`)
          .join(' ')}`,
      );
  }
  const failed = results.filter((r) => !r.passed).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed;
}
