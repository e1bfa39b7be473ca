/**
 * One engine in a process of its own (bench/engines.ts spawns it), so that its peak RSS is its own:
 * `node --import tsx bench/engine-run.ts wasm|native FILE [queryRuns [FILE...]]` prints one JSON line: open, load (ingest
 * and analyse), the query figures of bench/node-load.ts, and the process's peak RSS (the native DuckDB thread
 * and its memory included).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../src/cli/main';
import { Engine } from '../src/engine/engine';
import { timeQueries } from './node-load';

const [kind, file, runs = '3', ...more] = process.argv.slice(2);
if (kind !== 'wasm' && kind !== 'native') throw new Error('usage: engine-run.ts wasm|native FILE [queryRuns [FILE...]]');
const t0 = performance.now();
const db = await openDatabase(kind);
const openMs = performance.now() - t0;
const engine = await Engine.create(db);
// More files: one load of them all (copies of an archive standing in for a cluster's recordings).
const report = await engine.load([file, ...more].map((f) => ({ name: path.basename(f), bytes: new Uint8Array(readFileSync(f)) })));
const queries = Number(runs) > 0 ? await timeQueries(engine, Number(runs)) : [];
const memory = engine.memory();
db.close();
console.log(
  JSON.stringify({
    engine: kind,
    version: db.version,
    events: report.events,
    errors: report.errors.map((e) => e.message),
    openMs,
    loadMs: report.millis,
    readMs: report.timings.readMs,
    insertMs: report.timings.insertMs,
    analyseMs: report.timings.analyseMs,
    queries,
    duckdbBytes: memory.duckdbBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    // CPU of the whole process (every thread: DuckDB's, the native worker's): on a shared machine a steadier
    // figure than wall time.
    cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
  }),
);
