import { readFileSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Engine, type LoadProgress, type LoadReport, type ReadLimits } from '../engine/engine';
import { openNodeDuckDb } from '../engine/duckdb/open-node';
import { releaseNativeThread } from '../engine/duckdb/native-thread-node';
import type { EngineConnection } from '../engine/duckdb/connection';
import type { NativeOptions } from '../engine/duckdb/native-node';
import { formatResult } from './format';
import { CliError, readInputFiles } from './load-files';
import { SUMMARY_TABLES, summarize } from './summary';
import { splitEngineOption } from './engine-option';
import { ONE_THREAD_BYTES } from './small-input';
import { COMPARE_HELP } from './compare';
import { queryTables } from './query-tables';
import { SCHEMA_VERSION } from '../engine/sql/build';
import { SUPPORTED_FORMAT_VERSIONS } from '../archive/otpscope/read-archive';

export { queryTables };

/** What \`otpscope COMMAND --help\` prints. */
const COMMAND_HELP: Record<string, string> = {
  query: `otpscope query FILE... "SQL" [--json | --csv] [--max-rows N]

Loads the files (otpscope archives, dbg trace-port files or wrap sets, ttb upload folders) into one timeline and
runs one SQL statement on it. FILE may be a glob ('day/*/node-*.zip', '**' for any depth), so one call can take a
whole cluster's recordings. Output: an aligned table, or --json (one object per row, 64-bit integers exact) or
--csv. --max-rows N stops after N rows. Exit 1 when a file could not be read (the others still load), 2 on bad usage.`,
  summary: `otpscope summary FILE...

Loads the files and prints what happened: nodes, events by kind, the busiest processes, drops and truncations,
and the top anomalies.`,
  export: `otpscope export FILE... --parquet DIR

Loads the files and writes every table (docs/SCHEMA.md) to DIR as Parquet, one folder per table, partitioned
by node where the table has one (DIR/events/node=a@host/data_0.parquet), and DIR/load.sql, which makes the
tables and the analysis macros over the files in native DuckDB (docs/SCHEMA.md, "Parquet export").`,
  check: `otpscope check FILE... --expect EXPECTATIONS.sql

Loads the files and runs the expectations (SQL checks, docs/EXPECTATIONS.md): one line per check, pass or fail
with its first counter-example event. Exit 1 when a check fails: usable in CI.`,
  compare: COMPARE_HELP,
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
Native DuckDB keeps the tables in memory up to --memory-limit SIZE (4GB, 512MiB, 50%; default half the machine's
memory, or OTPSCOPE_MEMORY_LIMIT) and spills past it to a fresh folder under --temp-dir DIR (default the OS temp
folder, or OTPSCOPE_TEMP_DIR), removed when the command ends: for big inputs, a disk with room (not a RAM /tmp).
Terms print as the traced node's Elixir writes them (charlists ~c"abc" from Elixir 1.15, 'abc' before); raw
dbg/ttb traces cannot tell and print ~c"abc" unless given --raw-charlists quotes.

Every command takes --engine native (the default: native DuckDB, every core for inputs over 1 MiB, spills to disk
past memory) or --engine wasm (DuckDB-WASM, the browser's engine; 4 GB at most), which give the same answers.
The tables and columns are documented in docs/SCHEMA.md.
\`otpscope COMMAND --help\` says more about one command; \`otpscope --version\` prints the version and the schema.`;

/** Set by --max-entry-mb / --max-archive-mb, for every command that loads files. */
let limits: Partial<ReadLimits> = {};
/** Set by --raw-charlists: how raw dbg/ttb traces print charlists. */
let rawCharlists: 'sigil' | 'quotes' | undefined;
/** Set by --memory-limit and --temp-dir: native DuckDB's memory limit and where it spills past it. */
let spill: { memoryLimit?: string; tempDirectory?: string } = {};

/** Takes the limit flags (accepted by every loading command) out of the arguments. */
function takeLimitFlags(args: string[]): string[] {
  const flags = { '--max-entry-mb': 'maxEntryBytes', '--max-archive-mb': 'maxArchiveBytes' } as const;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split('=', 2) as [string, string | undefined];
    if (flag === '--raw-charlists') {
      const value = inline ?? args[++i];
      if (value !== 'sigil' && value !== 'quotes')
        throw new CliError(`--raw-charlists takes sigil (~c"abc", Elixir 1.15+) or quotes ('abc', Elixir 1.14), got ${JSON.stringify(value ?? '')}`);
      rawCharlists = value;
      continue;
    }
    if (flag === '--memory-limit' || flag === '--temp-dir') {
      const value = inline ?? args[++i];
      if (value === undefined || value === '') throw new CliError(`${flag} needs a value`);
      if (flag === '--memory-limit') spill.memoryLimit = memoryLimitFlag(flag, value);
      else if (!statSync(value, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`--temp-dir ${value}: no such directory`);
      else spill.tempDirectory = value;
      continue;
    }
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

/** A memory limit as DuckDB writes one (\`4GB\`, \`512MiB\`, \`80%\` of the machine's memory); anything else is refused here, not by DuckDB. */
function memoryLimitFlag(name: string, value: string): string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%|[KMGT]i?B|B)?\s*$/i.exec(value);
  if (m === null || Number(m[1]) <= 0) throw new CliError(`${name}: expected a size such as 4GB, 512MiB or 50%, got ${JSON.stringify(value)}`);
  if (m[2] === '%') {
    if (Number(m[1]) > 100) throw new CliError(`${name}: ${value} is more than the machine's memory`);
    return `${Math.max(1, Math.floor((totalmem() * Number(m[1])) / 100 / 2 ** 20))}MiB`;
  }
  return `${m[1]}${m[2] ?? 'B'}`;
}

/** The package's version, from its package.json (one folder up from the bundle in dist-cli/, two from src/cli/). */
function packageVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'otpscope' && pkg.version) return pkg.version;
    } catch {
      // not this folder
    }
  }
  return 'unknown';
}

/** What `otpscope --version` prints: the version, and the contracts it reads and writes. */
export function versionText(): string {
  const formats = SUPPORTED_FORMAT_VERSIONS;
  return `otpscope ${packageVersion()} (SQL schema ${SCHEMA_VERSION}, docs/SCHEMA.md; reads archive formats ${formats[0]}-${formats[formats.length - 1]}, docs/FORMAT.md)`;
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  let rest = args;
  if (command !== undefined && COMMAND_HELP[command] && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(COMMAND_HELP[command]);
    return 0;
  }
  try {
    limits = {};
    rawCharlists = undefined;
    spill = {};
    ({ rest, engine: engineKind } = takeEngineOption(args));
    if (command !== 'serve') rest = takeLimitFlags(rest);
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
      case 'compare': {
        const { compare } = await import('./compare');
        return await compare(rest, loadEngine);
      }
      case 'report': {
        const { report } = await import('./report');
        return await report(rest, loadEngine);
      }
      case 'check': {
        const { check } = await import('./check');
        return await check(rest, loadEngine, loadRest);
      }
      case '--version':
      case '-V':
      case 'version':
        console.log(versionText());
        return 0;
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
  } finally {
    // Native DuckDB's thread and its spill directory go with the command; so does a thread started for it that
    // it did not get to use (src/cli/prestart.ts).
    for (const e of opened.splice(0)) e.db.close();
    await releaseNativeThread();
    performance.mark('otpscope:closed');
  }
}

export type EngineKind = 'native' | 'wasm';
let engineKind: EngineKind = 'native';
/** Engines the running command opened, closed when it ends. */
const opened: Engine[] = [];

/** Takes `--engine native|wasm` (or `--engine=…`) out of a command's arguments: every command accepts it. */
function takeEngineOption(args: string[]): { rest: string[]; engine: EngineKind } {
  const { rest, engine } = splitEngineOption(args);
  if (engine === null) throw new CliError('--engine needs a value: native or wasm');
  if (engine !== 'native' && engine !== 'wasm') throw new CliError(`--engine ${engine}: expected native or wasm`);
  return { rest, engine };
}

/**
 * Native DuckDB's memory limit unless --memory-limit or OTPSCOPE_MEMORY_LIMIT says otherwise: half of the
 * machine's memory. Past it DuckDB spills the tables' blocks and its operators' state to the temp directory, so the
 * limit bounds DuckDB, not the size of the input; the rest of the process (the inputs' bytes, the reader's
 * batches) and the machine's other programs get the other half. DuckDB's own default is 80%.
 */
function defaultMemoryLimit(): string {
  return `${Math.max(256, Math.floor(totalmem() / 2 / 2 ** 20))}MiB`;
}

/**
 * Opens the chosen engine's database. \`allowedDirectories\`: where export may write (native DuckDB only; none
 * otherwise); \`inputBytes\`: how much the load will read (native DuckDB takes one thread for small inputs).
 */
export async function openDatabase(kind: EngineKind, options: DatabaseOptions = {}): Promise<EngineConnection> {
  if (kind === 'wasm') return openWasm();
  return (await import('../engine/duckdb/native-node')).openNativeConnection(nativeOptions(options));
}

/**
 * openDatabase without waiting for native DuckDB to open (its thread may still be loading DuckDB): the connection
 * takes requests at once and runs them once it is open; \`opened\` resolves then, or rejects with why it did not.
 */
async function startDatabase(kind: EngineKind, options: DatabaseOptions): Promise<{ connection: EngineConnection; opened: Promise<void> }> {
  if (kind === 'wasm') return { connection: await openWasm(), opened: Promise.resolve() };
  return (await import('../engine/duckdb/native-node')).startNativeConnection(nativeOptions(options));
}

type DatabaseOptions = { allowedDirectories?: string[]; inputBytes?: number; memoryLimit?: string; tempDirectory?: string };

async function openWasm(): Promise<EngineConnection> {
  return (await import('../engine/duckdb/connection')).wasmConnection(await openNodeDuckDb());
}

function nativeOptions(options: DatabaseOptions): NativeOptions {
  const small = options.inputBytes !== undefined && options.inputBytes <= ONE_THREAD_BYTES;
  return {
    allowedDirectories: options.allowedDirectories,
    threads: small ? 1 : undefined,
    memoryLimit:
      options.memoryLimit ??
      (process.env.OTPSCOPE_MEMORY_LIMIT ? memoryLimitFlag('OTPSCOPE_MEMORY_LIMIT', process.env.OTPSCOPE_MEMORY_LIMIT) : defaultMemoryLimit()),
    spillUnder: options.tempDirectory ?? (process.env.OTPSCOPE_TEMP_DIR || undefined),
  };
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

/**
 * Opens the engine and loads files, printing one line per unreadable file; fails when nothing loaded.
 * \`tables\`: the tables the command reads (default every table); the others are built only if asked for.
 */
export async function loadEngine(
  files: string[],
  options: { allowedDirectories?: string[]; tables?: readonly string[] } = {},
): Promise<{ engine: Engine; report: LoadReport }> {
  if (files.length === 0) throw new CliError('no input files');
  // Read first (milliseconds), so DuckDB opens knowing how much comes; the native thread is already loading
  // (src/cli/prestart.ts).
  const inputs = await readInputFiles(files);
  performance.mark('otpscope:inputs-read');
  // The load reads and decodes the files while native DuckDB is still opening: the engine's first waits come after.
  const { connection: db, opened: dbOpened } = await startDatabase(engineKind, {
    allowedDirectories: options.allowedDirectories,
    inputBytes: inputs.reduce((n, f) => n + f.bytes.length, 0),
    ...spill,
  });
  performance.mark('otpscope:database-open');
  let engine: Engine;
  try {
    engine = await Engine.create(db, { limits });
  } catch (e) {
    db.close();
    throw e;
  }
  opened.push(engine);
  performance.mark('otpscope:engine-created');
  const report = await engine.load(inputs, progressLine(), { rawCharlists, tables: options.tables });
  // The load's own split (reading, inserts, each analysis statement) for bench/summary-steps.mjs.
  performance.mark('otpscope:loaded', { detail: report.timings });
  // A database that did not open failed every statement of the load: that is the error, not each file's.
  await dbOpened;
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
  const tables = queryTables(sql);
  const { engine, report } = await loadEngine(positionals.slice(0, -1), { tables });
  const maxRows = values['max-rows'] ? Number(values['max-rows']) : Number.MAX_SAFE_INTEGER;
  let result;
  try {
    result = engine.query(sql, maxRows);
  } catch (e) {
    if (tables === undefined) throw new CliError(`query failed: ${e instanceof Error ? e.message : String(e)}`);
    // With every table built it fails (or answers) exactly as it would have: DuckDB's "Did you mean" names one of
    // the tables that exist.
    const all = await loadRest(engine, report);
    try {
      result = all.query(sql, maxRows);
    } catch (e) {
      throw new CliError(`query failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const out = formatResult(result, values.json ? 'json' : values.csv ? 'csv' : 'table');
  if (out.length > 0) process.stdout.write(out + '\n');
  return report.errors.length > 0 ? 1 : 0;
}

/** Builds every table a load left unbuilt; a failure goes to the load's errors, as a load's own build failure does. */
async function loadRest(engine: Engine, report: LoadReport): Promise<Engine> {
  try {
    await engine.ready();
  } catch (e) {
    const message = `building the analysis tables failed: ${e instanceof Error ? e.message : String(e)}`;
    console.error(`otpscope: error: ${message}`);
    report.errors.push({ file: 'analysis tables', offset: 0, message });
  }
  return engine;
}

async function summary(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const { engine, report } = await loadEngine(positionals, { tables: SUMMARY_TABLES });
  process.stdout.write((await summarize(engine, report)) + '\n');
  performance.mark('otpscope:answered');
  return report.errors.length > 0 ? 1 : 0;
}

async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string', default: '5173' }, host: { type: 'string', default: '127.0.0.1' }, 'open-demo': { type: 'boolean' } },
  });
  // This module is src/cli/main.ts, or dist-cli/main.mjs in the bundled CLI: either way dist/ is the repository's.
  const root = positionals[0] ?? new URL(import.meta.url.endsWith('.ts') ? '../../dist' : '../dist', import.meta.url).pathname;
  // Imported here: Node's http module costs every other command ~11 ms of CPU to load.
  const { serveStatic } = await import('./serve');
  const { url } = await serveStatic(root, Number(values.port), values.host);
  console.log(`otpscope analyzer: ${url}${values['open-demo'] ? '?demo' : ''}`);
  console.log('Serving the built site; press Ctrl-C to stop.');
  await new Promise(() => {});
  return 0;
}
