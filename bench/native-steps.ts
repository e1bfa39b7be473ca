/**
 * Where one native CLI load's time goes, statement by statement: `node --import tsx bench/native-steps.ts FILE
 * [--top N]` opens native DuckDB as the CLI does, loads FILE (bytes → every table ready, as bench/engine-run.ts), and
 * prints one JSON line: the load's split (read + decode, insert waits, analysis), every build statement's wall time
 * (slowest first), and the CPU and minor page faults of each thread of the process (Linux: /proc/self/task), so the main thread's decoding
 * is told apart from DuckDB's own threads.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../src/cli/main';
import { Engine } from '../src/engine/engine';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (file === undefined) throw new Error('usage: native-steps.ts FILE [--top N]');
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 20;

/** CPU ms of every thread of this process by name (utime + stime from /proc; ticks of 10 ms), summed per name. */
function threadCpu(): Record<string, number> {
  const out: Record<string, number> = {};
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * 10;
      const key = t === String(process.pid) ? 'main' : name;
      out[key] = (out[key] ?? 0) + ms;
      // Minor page faults (first touches of memory): slow on the machines measured.
      out[`${key} faults`] = (out[`${key} faults`] ?? 0) + Number(fields[7]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const bytes = new Uint8Array(readFileSync(file));
const c0 = cpuMs();
const t0 = performance.now();
const db = await openDatabase('native');
const openMs = performance.now() - t0;
const engine = await Engine.create(db, { analyses: process.env.X_STREAM ? 'stream' : 'sql' });
const cBefore = cpuMs();
const threadsBefore = threadCpu();
let threadsRead: Record<string, number> | undefined;
let readCpuMs = 0;
const report = await engine.load([{ name: path.basename(file), bytes }], (p) => {
  if (p.phase !== 'analysing' || threadsRead !== undefined) return;
  threadsRead = threadCpu();
  readCpuMs = cpuMs() - cBefore;
});
const loadCpuMs = cpuMs() - cBefore;
const threadsAfter = threadCpu();
const diff = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]));
const threads = { read: diff(threadsRead ?? {}, threadsBefore), analyse: diff(threadsAfter, threadsRead ?? threadsBefore) };
const steps = [...report.timings.steps].sort((a, b) => b.ms - a.ms);
db.close();
console.log(
  JSON.stringify({
    file: path.basename(file),
    events: report.events,
    errors: report.errors.map((e) => e.message),
    openMs: Math.round(openMs),
    loadMs: Math.round(report.millis),
    loadCpuMs: Math.round(loadCpuMs),
    readMs: Math.round(report.timings.readMs),
    readCpuMs: Math.round(readCpuMs),
    insertMs: Math.round(report.timings.insertMs),
    analyseMs: Math.round(report.timings.analyseMs),
    statements: report.timings.steps.length,
    threads,
    steps: steps.slice(0, top).map((s) => ({ ms: Math.round(s.ms), sql: s.sql })),
    totalCpuMs: Math.round(cpuMs() - c0),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
