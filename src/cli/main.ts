import { parseArgs } from 'node:util';
import { Engine, type LoadProgress, type LoadReport, type ReadLimits } from '../engine/engine';
import { openNodeDuckDb } from '../engine/duckdb/open-node';
import { formatResult } from './format';
import { CliError, readInputFiles } from './load-files';
import { serveStatic } from './serve';
import { summarize } from './summary';

/** What \`otpscope COMMAND --help\` prints. */
const COMMAND_HELP: Record<string, string> = {
  query: `otpscope query FILE... "SQL" [--json | --csv] [--max-rows N]

Loads the files (otpscope archives, dbg trace-port files or wrap sets, ttb upload folders) into one timeline and
runs one SQL statement on it. Output: an aligned table, or --json (one object per row, 64-bit integers exact) or
--csv. --max-rows N stops after N rows. Exit 1 when a file could not be read (the others still load), 2 on bad usage.`,
  summary: `otpscope summary FILE...

Loads the files and prints what happened: nodes, events by kind, the busiest processes, drops and truncations,
and the top anomalies.`,
  export: `otpscope export FILE... --parquet DIR

Loads the files and writes every table (docs/SCHEMA.md) to DIR as Parquet, one file per table, for native
DuckDB, pandas or Spark.`,
  check: `otpscope check FILE... --expect EXPECTATIONS.sql

Loads the files and runs the expectations (SQL checks, docs/EXPECTATIONS.md): one line per check, pass or fail
with its first counter-example event. Exit 1 when a check fails: usable in CI.`,
  report: `otpscope report FILE... --markdown [--link URL] [--top N]

Loads the files and prints a report to paste into an issue next to the archive: what was recorded, the top
anomalies with their evidence, the slowest calls, the crashes with their exit reasons and the state before the
last callback. The same text as the analyzer's "Copy as Markdown". --link: the analyzer's address of the view to
point to (default: the hash that opens these files); --top N: how many of each (default 5).`,
  serve: `otpscope serve [DIR] [--port 5173] [--host 127.0.0.1]

Serves the built analyzer (dist/, or DIR) on localhost; everything runs in the page, nothing is uploaded.`,
};

/** The usage lines are the first lines of the commands' help. */
const USAGE = `otpscope: analyze BEAM traces (otpscope archives, dbg trace-port files, ttb folders)

Usage:
${Object.values(COMMAND_HELP)
  .map((h) => `  ${h.split('\n')[0]}`)
  .join('\n')}

Commands that load files also take --max-entry-mb N and --max-archive-mb N: the most one zip entry, and all
entries of one archive, may inflate to (default 256 and 4096), against zip bombs; raise them for a trusted archive.

The tables and columns are documented in docs/SCHEMA.md.
\`otpscope COMMAND --help\` says more about one command.`;

/** Set by --max-entry-mb / --max-archive-mb, for every command that loads files. */
let limits: Partial<ReadLimits> = {};

/** Takes the limit flags (accepted by every loading command) out of the arguments. */
function takeLimitFlags(args: string[]): string[] {
  const flags = { '--max-entry-mb': 'maxEntryBytes', '--max-archive-mb': 'maxArchiveBytes' } as const;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split('=', 2) as [string, string | undefined];
    if (!(flag in flags)) {
      rest.push(args[i]);
      continue;
    }
    const value = inline ?? args[++i];
    const mb = Number(value);
    if (value === undefined || !Number.isFinite(mb) || mb <= 0)
      throw new CliError(`${flag} needs a positive number of MiB, got ${JSON.stringify(value ?? '')}`);
    limits[flags[flag as keyof typeof flags]] = Math.floor(mb * 1024 * 1024);
  }
  return rest;
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command !== undefined && COMMAND_HELP[command] && (args.includes('--help') || args.includes('-h'))) {
    console.log(COMMAND_HELP[command]);
    return 0;
  }
  try {
    limits = {};
    const rest = command === 'serve' ? args : takeLimitFlags(args);
    switch (command) {
      case 'query':
        return await query(rest);
      case 'summary':
        return await summary(rest);
      case 'serve':
        return await serve(rest);
      case 'export': {
        const { exportParquet } = await import('./export');
        return await exportParquet(rest, loadEngine);
      }
      case 'report': {
        const { report } = await import('./report');
        return await report(rest, loadEngine);
      }
      case 'check': {
        const { check } = await import('./check');
        return await check(rest, loadEngine);
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof CliError || (e instanceof Error && e.name === 'TypeError' && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`otpscope: ${e.message}`);
      return 2;
    }
    console.error(`otpscope: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

/** On a terminal, one status line on stderr while a load runs (rewritten at most 4 times a second, cleared at the end). */
function progressLine(): ((p: LoadProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (p.phase === 'done') {
      process.stderr.write('\r\x1b[K');
      return;
    }
    if (now - last < 250) return;
    last = now;
    const what =
      p.phase === 'analysing' && p.step
        ? `building ${p.step.name} (${p.step.index + 1}/${p.step.count})`
        : `${p.phase} ${p.file}: ${(p.bytesRead / 1e6).toFixed(1)} of ${(p.bytesTotal / 1e6).toFixed(1)} MB`;
    process.stderr.write(`\r\x1b[Kotpscope: ${what}, ${p.events.toLocaleString('en')} events`);
  };
}

/** Opens the engine and loads files, printing one line per unreadable file; fails when nothing loaded. */
export async function loadEngine(files: string[]): Promise<{ engine: Engine; report: LoadReport }> {
  if (files.length === 0) throw new CliError('no input files');
  const inputs = await readInputFiles(files);
  const engine = await Engine.create(await openNodeDuckDb(), { limits });
  const report = await engine.load(inputs, progressLine());
  for (const w of report.warnings) console.error(`otpscope: warning: ${w}`);
  for (const e of report.errors) console.error(`otpscope: error: ${e.message}`);
  if (report.sources.length === 0) throw new CliError('no input could be read');
  return { engine, report };
}

async function query(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, csv: { type: 'boolean' }, 'max-rows': { type: 'string' } },
  });
  if (positionals.length < 2) throw new CliError('query needs FILE... and a SQL string');
  const sql = positionals[positionals.length - 1];
  const { engine, report } = await loadEngine(positionals.slice(0, -1));
  const maxRows = values['max-rows'] ? Number(values['max-rows']) : Number.MAX_SAFE_INTEGER;
  let result;
  try {
    result = engine.query(sql, maxRows);
  } catch (e) {
    throw new CliError(`query failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out = formatResult(result, values.json ? 'json' : values.csv ? 'csv' : 'table');
  if (out.length > 0) process.stdout.write(out + '\n');
  return report.errors.length > 0 ? 1 : 0;
}

async function summary(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const { engine, report } = await loadEngine(positionals);
  process.stdout.write((await summarize(engine, report)) + '\n');
  return report.errors.length > 0 ? 1 : 0;
}

async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string', default: '5173' }, host: { type: 'string', default: '127.0.0.1' }, 'open-demo': { type: 'boolean' } },
  });
  const root = positionals[0] ?? new URL('../../dist', import.meta.url).pathname;
  const { url } = await serveStatic(root, Number(values.port), values.host);
  console.log(`otpscope analyzer: ${url}${values['open-demo'] ? '?demo' : ''}`);
  console.log('Serving the built site; press Ctrl-C to stop.');
  await new Promise(() => {});
  return 0;
}
