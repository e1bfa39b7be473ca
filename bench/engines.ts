/**
 * The CLI's two engines side by side (issue: the CLI on native DuckDB): for each archive, `--engine wasm` and
 * `--engine native` each in a fresh process, alternating, medians of the runs: `otpscope summary` wall time as a
 * user sees it, open + load (bytes to every table ready), the query figures, and the process's peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './core/load-run';
import type { QueryFigure } from './node-load';
import { ROOT } from './recorder';

export type EngineKind = 'wasm' | 'native';
export const ENGINES: EngineKind[] = ['wasm', 'native'];

export interface EngineRun {
  engine: EngineKind;
  version: string;
  events: number;
  errors: string[];
  openMs: number;
  loadMs: number;
  readMs: number;
  insertMs: number;
  analyseMs: number;
  queries: QueryFigure[];
  duckdbBytes: number;
  maxRssBytes: number;
  cpuMs: number;
}

function node(args: string[]): { ms: number; stdout: string; stderr: string; status: number | null } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ms: performance.now() - t0, stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status };
}

/** Prints the process's CPU time (every thread) on stderr as it exits; loaded with --import into the CLI's process. */
const CPU_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    `import { isMainThread } from 'node:worker_threads'; if (isMainThread) process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('\\ncpu-ms ' + (u.user + u.system) / 1000 + '\\n'); });`,
  );

/**
 * `otpscope summary FILE --engine native` started as a user starts it, from the bundled CLI (dist-cli/, built
 * first) or from the TypeScript through tsx (OTPSCOPE_CLI=ts): wall time and CPU time of the process.
 */
export function summaryStartup(file: string, cli: 'bundle' | 'ts'): { wallMs: number; cpuMs: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', CPU_HOOK, path.join(ROOT, 'bin/otpscope.mjs'), 'summary', file, '--engine', 'native'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, OTPSCOPE_CLI: cli === 'ts' ? 'ts' : '' },
  });
  const wallMs = performance.now() - t0;
  const cpu = /cpu-ms ([\d.]+)/.exec(r.stderr ?? '');
  if (r.status !== 0 || cpu === null) throw new Error(`otpscope summary (${cli}) failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  return { wallMs, cpuMs: Number(cpu[1]) };
}

/**
 * `otpscope summary FILE --engine native` from another bundle of the CLI (a directory inside the repository made
 * by `node scripts/build-cli.mjs DIR` at an earlier commit): the before of a before/after, run alternating with
 * the current bundle so that both see the same machine load.
 */
export function summaryStartupOf(bundle: string, file: string): { wallMs: number; cpuMs: number } {
  // As bin/otpscope.mjs starts a bundle: its prestart (the native thread) first, for bundles that have one.
  const prestart = path.join(bundle, 'prestart.mjs');
  const runner =
    (existsSync(prestart) ? `(await import(${JSON.stringify(pathToFileURL(prestart).href)})).prestart(process.argv.slice(2));\n` : '') +
    `const { main } = await import(${JSON.stringify(pathToFileURL(path.join(bundle, 'main.mjs')).href)}); process.exitCode = await main(process.argv.slice(2));`;
  const script = path.join(mkdtempSync(path.join(tmpdir(), 'otpscope-bench-')), 'run.mjs');
  writeFileSync(script, runner);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', CPU_HOOK, script, 'summary', file, '--engine', 'native'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const wallMs = performance.now() - t0;
  rmSync(path.dirname(script), { recursive: true, force: true });
  const cpu = /cpu-ms ([\d.]+)/.exec(r.stderr ?? '');
  if (r.status !== 0 || cpu === null) throw new Error(`otpscope summary (${bundle}) failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  return { wallMs, cpuMs: Number(cpu[1]) };
}

/** Where a native load's time goes (bench/native-ingest.ts), in a fresh process. */
export interface IngestSplit {
  events: number;
  phases: Record<'decode' | 'arrow' | 'insert' | 'analyse', { wallMs: number; cpuMs: number }>;
  maxRssBytes: number;
}
export function nativeIngestSplit(file: string): IngestSplit {
  const r = node(['--import', 'tsx', path.join(ROOT, 'bench/native-ingest.ts'), file]);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`native-ingest failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(line) as IngestSplit;
}

/** Builds dist-cli/ (scripts/build-cli.mjs), so that bin/otpscope.mjs runs the bundle. */
export function buildCli(): void {
  const r = node([path.join(ROOT, 'scripts/build-cli.mjs')]);
  if (r.status !== 0) throw new Error(`build-cli failed: ${r.stderr.trim().split('\n').pop()}`);
}

/** `node bin/otpscope.mjs summary FILE --engine KIND`: the wall time a user waits, process start to exit. */
export function summaryWallMs(file: string, engine: EngineKind): number {
  const r = node([path.join(ROOT, 'bin/otpscope.mjs'), 'summary', file, '--engine', engine]);
  if (r.status !== 0) throw new Error(`otpscope summary --engine ${engine} failed: ${r.stderr.trim().split('\n').pop()}`);
  return r.ms;
}

/** One load (and the queries) in a fresh process; see bench/engine-run.ts. */
/** One load of `file` (and `more` files with it) in a process of its own. */
export function engineRun(file: string, engine: EngineKind, queryRuns: number, more: string[] = []): EngineRun {
  const r = node(['--import', 'tsx', path.join(ROOT, 'bench/engine-run.ts'), engine, file, String(queryRuns), ...more]);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`engine-run ${engine} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(line) as EngineRun;
}

/** Both engines on one archive, `runs` alternating rounds; medians (peak RSS: the largest seen). */
export function compareEngines(file: string, runs: number, queryRuns: number, log: (s: string) => void) {
  const summary: Record<EngineKind, number[]> = { wasm: [], native: [] };
  const loads: Record<EngineKind, EngineRun[]> = { wasm: [], native: [] };
  for (let i = 0; i < runs; i++)
    for (const e of ENGINES) {
      summary[e].push(summaryWallMs(file, e));
      loads[e].push(engineRun(file, e, i === runs - 1 ? queryRuns : 0));
      log(`${path.basename(file)} ${e} ${i + 1}/${runs}: summary ${summary[e].at(-1)!.toFixed(0)} ms, load ${loads[e].at(-1)!.loadMs.toFixed(0)} ms`);
    }
  const figures = (e: EngineKind) => {
    const l = loads[e];
    const med = (k: 'openMs' | 'loadMs' | 'readMs' | 'analyseMs' | 'cpuMs') => median(l.map((x) => x[k]));
    return {
      engine: e,
      version: l[0].version,
      events: l[0].events,
      errors: l[0].errors,
      summaryWallMs: median(summary[e]),
      openMs: med('openMs'),
      loadMs: med('loadMs'),
      readMs: med('readMs'),
      analyseMs: med('analyseMs'),
      cpuMs: med('cpuMs'),
      queries: l[l.length - 1].queries,
      maxRssBytes: Math.max(...l.map((x) => x.maxRssBytes)),
      duckdbBytes: l[l.length - 1].duckdbBytes,
    };
  };
  return { wasm: figures('wasm'), native: figures('native') };
}
