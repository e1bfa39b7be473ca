import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Engine, LoadReport } from '../engine/engine';
import { parseExpectations, runExpectations, type CheckResult } from '../engine/analyses/expectations';
import type { Cell } from '../engine/result';
import { CliError } from './load-files';

/** `otpscope check FILE... --expect EXPECTATIONS.sql`: runs expectations, exits non-zero on failure. */
export async function check(args: string[], load: (files: string[]) => Promise<{ engine: Engine; report: LoadReport }>): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { expect: { type: 'string' } } });
  if (values.expect === undefined) throw new CliError('check needs --expect EXPECTATIONS.sql');
  const text = await readFile(values.expect, 'utf8').catch(() => {
    throw new CliError(`${values.expect}: cannot read`);
  });
  const checks = parseExpectations(text);
  if (checks.length === 0) throw new CliError(`${values.expect}: no "-- check: NAME" headers found`);
  const { engine } = await load(positionals);
  const results = await runExpectations(checks, (sql, max) => engine.query(sql, max));
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
