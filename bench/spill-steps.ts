/**
 * Each SQL build statement of a load on native DuckDB under a memory limit, one at a time, with its wall and CPU
 * time and how much DuckDB spilled: where a big load runs out of memory, and what each statement costs.
 * `node --import tsx bench/spill-steps.ts LIMIT|none FILE [FILE...]` (LIMIT as --memory-limit takes it, e.g. 100MB)
 * prints one line per statement and stops at the first that fails. Threads: OTPSCOPE_THREADS, else every core.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openNativeConnection } from '../src/engine/duckdb/native-node';
import { Engine } from '../src/engine/engine';
import { BUILD_STEPS as STEPS } from '../src/engine/sql/build';

const [limit, ...files] = process.argv.slice(2);
// BUILD_STEPS_FROM=path/to/build.ts: another version's statements after the ingest tables (an A/B pair).
const BUILD_STEPS = process.env.BUILD_STEPS_FROM
  ? ((await import(path.resolve(process.env.BUILD_STEPS_FROM))) as { BUILD_STEPS: typeof STEPS }).BUILD_STEPS
  : STEPS;
if (limit === undefined || files.length === 0) throw new Error('usage: spill-steps.ts LIMIT|none FILE [FILE...]');
const threads = process.env.OTPSCOPE_THREADS === undefined ? undefined : Number(process.env.OTPSCOPE_THREADS);
const db = await openNativeConnection({ memoryLimit: limit === 'none' ? undefined : limit, threads });
const cpu = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;
const spilled = () => Number(db.query('SELECT coalesce(sum(temporary_storage_bytes), 0) FROM duckdb_memory()').rows[0][0]);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
try {
  const engine = await Engine.create(db);
  let c = cpu();
  let t = performance.now();
  // Up to the deferred ingest tables through the engine (it holds their batches); the rest statement by statement.
  const first = BUILD_STEPS.findIndex((s) => s.name === 'ingest tables');
  const report = await engine.load(
    files.map((f) => ({ name: path.basename(f), bytes: new Uint8Array(readFileSync(f)) })),
    undefined,
    { tables: BUILD_STEPS.slice(0, first + 1).flatMap((s) => s.makes) },
  );
  if (report.errors.length > 0) throw new Error(report.errors.map((e) => e.message).join('; '));
  console.log(`load ${report.events} events: ${(performance.now() - t).toFixed(0)} ms, cpu ${(cpu() - c).toFixed(0)} ms, spilled ${mib(spilled())}`);
  let total = 0;
  let totalCpu = 0;
  const stepCpu = new Map<string, number>();
  for (const step of BUILD_STEPS.slice(first + 1)) {
    for (const sql of step.sql) {
      if (typeof sql !== 'string') continue;
      const name = sql.trim().split('\n')[0].slice(0, 70);
      c = cpu();
      t = performance.now();
      try {
        db.query(sql);
      } catch (e) {
        console.log(`FAILED ${step.name}: ${name}\n  ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
        process.exitCode = 1;
        throw new Error('stop');
      }
      const ms = performance.now() - t;
      const used = cpu() - c;
      total += ms;
      totalCpu += used;
      stepCpu.set(step.name, (stepCpu.get(step.name) ?? 0) + used);
      console.log(`${step.name.padEnd(14)} ${ms.toFixed(0).padStart(7)} ms cpu ${used.toFixed(0).padStart(7)} ms spill ${mib(spilled()).padStart(9)}  ${name}`);
    }
  }
  console.log(`analysis: ${total.toFixed(0)} ms, cpu ${totalCpu.toFixed(0)} ms`);
  console.log(`cpu by step: ${[...stepCpu].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
  // Each table's rows in their order, as one hash: two builds made the same tables if these lines are the same.
  if (process.env.FINGERPRINT) {
    const tables = db.query(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'otpscope' ORDER BY 1`).rows.map((r) => String(r[0]));
    for (const t of tables) {
      // (in any order too: a table built without ORDER BY comes out in another order from run to run)
      const [n, h, u] = db.query(`SELECT count(*), sum(hash(rowid, r)), sum(hash(r)) FROM (SELECT rowid, t AS r FROM "${t}" t)`).rows[0];
      console.log(`fingerprint ${t} ${n} rows ${u} ordered ${h}`);
    }
  }
} catch (e) {
  if (!(e instanceof Error && e.message === 'stop')) throw e;
} finally {
  db.close();
}
