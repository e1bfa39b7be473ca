import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Engine, LoadReport } from '../engine/engine';
import { parseExpectations, runExpectations, type Check } from '../engine/analyses/expectations';
import { Comparison } from '../engine/compare/comparison';
import { CompareExpectationError, compileCompareExpectation } from '../engine/compare/expect';
import { compareSections, type CompareSection } from '../engine/compare/present';
import { compareTables } from '../engine/views/compare';
import { printResults } from './check';
import { formatResult, jsonExact } from './format';
import { CliError, readInputFiles } from './load-files';

export const COMPARE_HELP = `otpscope compare A B [--json | --markdown] [--all] [--expect 'p95 ratio < 1.5' | --expect CHECKS.sql]...

Loads recording A and recording B (each a file, or a directory of files recorded together) and prints what
changed from A to B: calls per callee and request (latency percentiles, timeouts, exits), messages per sender,
receiver and shape, processes, restarts, new and vanished processes, mailbox peaks and state sizes, anomalies,
and the first state at which each matched process differs. Processes are matched by registered name, then by
role and position under their supervisor (pids differ between runs). --all also prints unchanged rows.
--json prints the tables' rows; --markdown prints Markdown tables (for a pull request comment).
--expect takes a one-line expectation over the compare tables (METRIC OP NUMBER: p50/p95/max ratio, timeouts,
calls, messages, crashes, restarts, anomalies delta, mailbox peak / state size ratio) or an expectations file
whose checks query the compare tables (docs/EXPECTATIONS.md). Exit 1 when an expectation fails or a file could
not be read, 2 on bad usage.`;

type Loader = (files: string[]) => Promise<{ engine: Engine; report: LoadReport }>;

/** `otpscope compare A B`: loads both, builds the compare tables, prints them, runs the expectations. */
export async function compare(args: string[], load: Loader): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, markdown: { type: 'boolean' }, all: { type: 'boolean' }, expect: { type: 'string', multiple: true } },
  });
  if (positionals.length !== 2) throw new CliError(`compare needs two recordings, A and B (a file or a directory each), got ${positionals.length}`);
  if (values.json && values.markdown) throw new CliError('compare: --json and --markdown exclude each other');
  const { checks, sources } = await readChecks(values.expect ?? []);
  const { engine, report } = await load([positionals[0]]);
  // B loads through a second connection of A's database, on either engine.
  const comparison = new Comparison(engine.db);
  const reportB = await comparison.load(await readInputFiles([positionals[1]]));
  for (const w of reportB.warnings) console.error(`otpscope: warning: B: ${w}`);
  for (const e of reportB.errors) console.error(`otpscope: error: B: ${e.message}`);
  if (reportB.sources.length === 0) throw new CliError(`${positionals[1]}: no input could be read for B`);
  const query = (sql: string, max?: number) => engine.query(sql, max);
  const tables = await compareTables(query, { all: values.all, limit: Number.MAX_SAFE_INTEGER });
  const results = await runExpectations(checks, query);
  if (values.json) {
    // Expectation results carry their counter-example's 64-bit values.
    process.stdout.write(jsonExact({ a: positionals[0], b: positionals[1], tables, expectations: results }, 1) + '\n');
  } else {
    const sections = compareSections(tables);
    process.stdout.write((values.markdown ? sections.map(markdown) : sections.map(plain)).join('\n\n') + '\n');
    if (checks.length > 0) {
      process.stdout.write('\n');
      printResults(results, sources);
    }
  }
  const failed = results.some((r) => !r.passed);
  return failed || report.errors.length > 0 || reportB.errors.length > 0 ? 1 : 0;
}

/** Each --expect is a file of checks when such a file exists, else a one-line expectation. */
async function readChecks(expects: string[]): Promise<{ checks: Check[]; sources: string[] }> {
  const out: Check[] = [];
  const sources: string[] = [];
  for (const e of expects) {
    const isFile = await stat(e).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isFile) {
      const checks = parseExpectations(await readFile(e, 'utf8'));
      if (checks.length === 0) throw new CliError(`${e}: no "-- check: NAME" headers found`);
      out.push(...checks);
      sources.push(...checks.map(() => e));
      continue;
    }
    try {
      out.push(compileCompareExpectation(e));
      sources.push('--expect');
    } catch (err) {
      if (err instanceof CompareExpectationError) throw new CliError(err.message);
      throw err;
    }
  }
  return { checks: out, sources };
}

const evidence = (r: CompareSection['rows'][number]) => [r.a === null ? '' : `A #${r.a}`, r.b === null ? '' : `B #${r.b}`].filter(Boolean).join(' · ');

function plain(s: CompareSection): string {
  if (s.rows.length === 0) return `${s.title}: ${s.empty}.`;
  const columns = [...s.columns, 'evidence'].map((name) => ({ name, type: 'VARCHAR' }));
  const rows = s.rows.map((r) => [...r.cells, evidence(r)]);
  // formatResult's last line counts the rows: the section title says what they are instead.
  return `${s.title}:\n${formatResult({ columns, rows, totalRows: rows.length }, 'table').replace(/\n\(\d+ rows?\)$/, '')}`;
}

function markdown(s: CompareSection): string {
  if (s.rows.length === 0) return `### ${s.title}\n\n${s.empty}.`;
  // Trace text is untrusted: Markdown's own characters are escaped so a term renders as the text it is.
  const cell = (c: string) => c.replace(/[\\|*_`<>[\]]/g, '\\$&').replace(/\n/g, ' ');
  const row = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [
    `### ${s.title}`,
    '',
    row([...s.columns, 'evidence']),
    row([...s.columns, 'evidence'].map(() => '---')),
    ...s.rows.map((r) => row([...r.cells, evidence(r)])),
  ].join('\n');
}
