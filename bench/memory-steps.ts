/**
 * Where a DuckDB-WASM load's peak memory is set: one engine load of FILE on the Node blocking build (the CLI's
 * `--engine wasm`, the browser's engine), with the wasm linear memory after every statement and Arrow insert.
 * Wasm memory never shrinks, so the statement after which it grew last set the load's peak; `duckdb` is what DuckDB
 * itself held right after (duckdb_memory(): tables plus what a statement still caches).
 * `node --import tsx bench/memory-steps.ts FILE [--all]` prints the statements that grew the memory (every one
 * with --all), then the peak, the load's wall and CPU time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openNodeDuckDb } from '../src/engine/duckdb/open-node';
import { wasmConnection, type EngineConnection } from '../src/engine/duckdb/connection';
import { Engine } from '../src/engine/engine';

const [file, flag] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: memory-steps.ts FILE [--all]');
const db = await openNodeDuckDb();
const inner = wasmConnection(db);
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const rows: { what: string; ms: number; wasm: number; duckdb: number }[] = [];
const duckdbBytes = () => Number(inner.query('SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory()').rows[0][0]);
let inserts = 0;
const traced = (what: string, run: () => void) => {
  const t = performance.now();
  run();
  rows.push({ what, ms: performance.now() - t, wasm: inner.wasmBytes(), duckdb: duckdbBytes() });
};
const conn: EngineConnection = {
  ...inner,
  query(sql, maxRows) {
    let out!: ReturnType<EngineConnection['query']>;
    traced(sql.trim().replace(/\s+/g, ' ').slice(0, 90), () => (out = inner.query(sql, maxRows)));
    return out;
  },
  insertArrowIpc(table, ipc) {
    traced(`insert #${++inserts} ${table} (${mib(ipc.length)} MiB IPC)`, () => inner.insertArrowIpc(table, ipc));
  },
};
const engine = await Engine.create(conn);
const cpu = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
const c0 = cpu();
const t0 = performance.now();
const report = await engine.load([{ name: path.basename(file), bytes: new Uint8Array(readFileSync(file)) }]);
const wallMs = performance.now() - t0;
const cpuMs = cpu() - c0;
let before = 0;
for (const r of rows) {
  if (flag === '--all' || r.wasm > before)
    console.log(
      `${mib(r.wasm).padStart(7)} MiB wasm (+${mib(r.wasm - before).padStart(6)})  ${mib(r.duckdb).padStart(7)} MiB duckdb  ${r.ms.toFixed(0).padStart(6)} ms  ${r.what}`,
    );
  before = r.wasm;
}
const peak = inner.wasmBytes();
console.log(
  JSON.stringify({
    events: report.events,
    errors: report.errors.map((e) => e.message),
    peakWasmMiB: +mib(peak),
    bytesPerEvent: +(peak / report.events).toFixed(1),
    tablesMiB: +mib(duckdbBytes()),
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(cpuMs),
  }),
);
db.close();
