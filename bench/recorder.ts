/**
 * The Elixir side of the bench: dump_tool/bench/recorder_bench.exs (the
 * recorder engineer's ping-pong comparison with dbg and the flood), and
 * bench/workloads.exs (archives for the load benchmarks; demo and mixed
 * workloads against dbg). Archives are cached under bench/.cache/ keyed by
 * size and a hash of the recorder's source, so full runs don't re-record.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const CACHE = path.join(ROOT, 'bench/.cache');
const DUMP_TOOL = path.join(ROOT, 'dump_tool');

/** Runs `mix run SCRIPT ARGS` in dump_tool (dev env) and parses the last JSON line it prints. */
export function mixRunJson(script: string, args: string[], timeoutMs: number): Record<string, unknown> {
  const r = spawnSync('mix', ['run', script, ...args], {
    cwd: DUMP_TOOL,
    env: { ...process.env, MIX_ENV: 'dev' },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = (r.stdout ?? '')
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (r.status !== 0 || line === undefined) {
    const why = r.error ? String(r.error) : `exit ${r.status}`;
    throw new Error(`mix run ${path.basename(script)} failed (${why}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-6).join(' | ')}`);
  }
  return JSON.parse(line) as Record<string, unknown>;
}

/** A hash of the recorder's source: cached archives are re-recorded when it changes. */
export function recorderVersion(): string {
  const h = createHash('sha1');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ex')) h.update(name).update(readFileSync(p));
    }
  };
  walk(path.join(DUMP_TOOL, 'lib'));
  h.update(readFileSync(path.join(DUMP_TOOL, 'mix.exs')));
  h.update(readFileSync(path.join(ROOT, 'bench/workloads.exs')));
  return h.digest('hex').slice(0, 10);
}

export interface PingPongArchive {
  file: string;
  calls: number;
  events: number;
  bytes: number;
  dropped: number;
  cached: boolean;
  /** Set when this run's recorder did not build and an archive from an earlier recorder version was used. */
  staleRecorder?: string;
}

/** A ping-pong archive of about `targetEvents` events (6 per call), recorded once per recorder version. */
export function pingPongArchive(targetEvents: number, version: string): PingPongArchive {
  mkdirSync(CACHE, { recursive: true });
  const calls = Math.ceil(targetEvents / 6);
  const file = path.join(CACHE, `pingpong-${calls}-${version}.zip`);
  const meta = file + '.json';
  if (existsSync(file) && existsSync(meta)) return { ...(JSON.parse(readFileSync(meta, 'utf8')) as PingPongArchive), file, cached: true };
  let r: Record<string, unknown>;
  try {
    r = mixRunJson(path.join(ROOT, 'bench/workloads.exs'), ['pingpong', String(calls), file], 30 * 60_000);
  } catch (e) {
    // The recorder is being edited and does not build: an archive of the same
    // size from an earlier recorder version still measures the analyzer.
    const older = readdirSync(CACHE)
      .filter((f) => f.startsWith(`pingpong-${calls}-`) && f.endsWith('.zip') && existsSync(path.join(CACHE, f + '.json')))
      .map((f) => path.join(CACHE, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (older === undefined) throw e;
    const prev = JSON.parse(readFileSync(older + '.json', 'utf8')) as PingPongArchive;
    return { ...prev, file: older, cached: true, staleRecorder: `${e instanceof Error ? e.message.slice(0, 200) : String(e)}` };
  }
  const out: PingPongArchive = { file, calls, events: Number(r.events), bytes: Number(r.bytes), dropped: Number(r.dropped ?? 0), cached: false };
  spawnSync('sh', ['-c', `cat > '${meta}'`], { input: JSON.stringify(out) });
  return out;
}

export function recorderBench(quick: boolean): Record<string, unknown> {
  const script = path.join(DUMP_TOOL, 'bench/recorder_bench.exs');
  if (!existsSync(script)) throw new NotBuilt('dump_tool/bench/recorder_bench.exs');
  return mixRunJson(script, quick ? ['--quick', '--calls', '2000'] : [], 20 * 60_000);
}

export function compareWorkloads(quick: boolean): Record<string, unknown> {
  const dir = path.join(CACHE, quick ? 'compare-quick' : 'compare');
  return mixRunJson(path.join(ROOT, 'bench/workloads.exs'), ['compare', dir, quick ? '1' : '5', ...(quick ? ['--quick'] : [])], 20 * 60_000);
}

/** A measured thing that does not exist yet: reported as "n/a (not built)", never a failure. */
export class NotBuilt extends Error {
  constructor(what: string) {
    super(`${what}: not built`);
    this.name = 'NotBuilt';
  }
}
