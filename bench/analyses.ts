/**
 * The analysis tables built two ways on the same archive, side by side in one
 * run: the streaming pass (src/engine/stream, the default) and the SQL builds
 * it replaces (`analyses: 'sql'`, the reference). Runs alternate, each in a
 * fresh DuckDB-WASM, so noise on the shared machine hits both alike.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Engine, type Analyses } from '../src/engine/engine';
import { openNodeDuckDb } from '../src/engine/duckdb/open-node';
import { median } from './core/load-run';

/** The tables the stream replaces, and `pass`: the stream's one pass that computes four of them at once. */
export const REPLACED = ['pass', 'send_targets', 'messages', 'spans', 'causal_links', 'mailbox_depth'] as const;

export interface AnalysesRun {
  totalMs: number;
  /** CPU time of this process over the load (user + system): less hit by other processes on a shared machine than wall time. */
  cpuMs: number;
  ingestMs: number;
  analyseMs: number;
  /** Per replaced table (and the stream's pass): SQL statements, or stream pass / Arrow insert. */
  tables: Record<(typeof REPLACED)[number], number>;
  /** The steps the two ways share (processes, calls, states, anomalies, ...). */
  sharedMs: number;
  heapBytes: number;
  wasmBytes: number;
  events: number;
}

/** Which replaced table a step belongs to, or null for the steps both ways run. */
function tableOf(step: string): (typeof REPLACED)[number] | null {
  // the pass, and handing its ids and texts to DuckDB and joining them into the tables
  if (step.startsWith('stream: correlate') || step.startsWith('stream: join texts') || step === 'stream: insert texts') return 'pass';
  const m = /^stream: (?:insert )?(\w+)/.exec(step) ?? /(?:TABLE|VIEW)\s+(\w+)/i.exec(step);
  const name = m?.[1] ?? '';
  if (name === 'named_sends' || name === 'send_targets') return 'send_targets';
  if (name === 'messages' || name.startsWith('msg_')) return 'messages';
  if (name === 'spans' || name === 'causal_links' || name === 'mailbox_depth') return name;
  return null;
}

async function once(bytes: Uint8Array, name: string, analyses: Analyses): Promise<AnalysesRun> {
  const db = await openNodeDuckDb();
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const engine = await Engine.create(db, { analyses });
  const r = await engine.load([{ name, bytes }]);
  const cpu = process.cpuUsage(cpu0);
  if (r.errors.length > 0) throw new Error(`${analyses} load of ${name}: ${r.errors.map((e) => e.message).join('; ')}`);
  globalThis.gc?.();
  const tables = Object.fromEntries(REPLACED.map((t) => [t, 0])) as AnalysesRun['tables'];
  let sharedMs = 0;
  for (const s of r.timings.steps) {
    const t = tableOf(s.sql);
    if (t === null) sharedMs += s.ms;
    else tables[t] += s.ms;
  }
  const run: AnalysesRun = {
    totalMs: r.millis,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ingestMs: r.timings.readMs + r.timings.insertMs,
    analyseMs: r.timings.analyseMs,
    tables,
    sharedMs,
    heapBytes: Math.max(0, process.memoryUsage().heapUsed - heap0),
    wasmBytes: db.wasmBytes(),
    events: r.events,
  };
  db.close();
  return run;
}

export async function compareAnalyses(
  file: string,
  runs: number,
  log: (s: string) => void,
): Promise<{ events: number; stream: AnalysesRun; sql: AnalysesRun; all: Record<Analyses, AnalysesRun[]> }> {
  const bytes = new Uint8Array(readFileSync(file));
  const all: Record<Analyses, AnalysesRun[]> = { stream: [], sql: [], both: [] };
  // Warm-up, not counted: the first load in a process pays wasm compilation and first-use planning.
  const demo = new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../test/fixtures/archives/demo.zip')));
  for (const a of ['stream', 'sql'] as const) await once(demo, 'demo.zip', a);
  for (let i = 0; i < runs; i++) {
    for (const a of ['stream', 'sql'] as const) {
      const r = await once(bytes, path.basename(file), a);
      all[a].push(r);
      log(`${a} ${i + 1}/${runs}: total ${r.totalMs.toFixed(0)} ms (CPU ${r.cpuMs.toFixed(0)} ms), analyse ${r.analyseMs.toFixed(0)} ms`);
    }
  }
  const med = (xs: AnalysesRun[]): AnalysesRun => ({
    totalMs: median(xs.map((x) => x.totalMs)),
    cpuMs: median(xs.map((x) => x.cpuMs)),
    ingestMs: median(xs.map((x) => x.ingestMs)),
    analyseMs: median(xs.map((x) => x.analyseMs)),
    tables: Object.fromEntries(REPLACED.map((t) => [t, median(xs.map((x) => x.tables[t]))])) as AnalysesRun['tables'],
    sharedMs: median(xs.map((x) => x.sharedMs)),
    heapBytes: median(xs.map((x) => x.heapBytes)),
    wasmBytes: median(xs.map((x) => x.wasmBytes)),
    events: xs[0].events,
  });
  return { events: all.stream[0].events, stream: med(all.stream), sql: med(all.sql), all };
}
