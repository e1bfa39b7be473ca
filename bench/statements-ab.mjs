// `node bench/statements-ab.mjs ROOT_A ROOT_B [ROUNDS] [each]`: the demo archive (or `ARCHIVE=path`'s) loaded as the page loads it after the
// engine's warm-up (background build, the first view's queries, then every table and the Overview), by the engine
// of two source trees (ROOT/src: this checkout `.`, or an older tree unpacked with `git archive REV src | tar -x -C
// DIR` beside a node_modules link), in one process, each with its own DuckDB-WASM, alternating A B B A…, each load
// in a fresh attached database of the same DuckDB as the warm-up does. Prints the medians of this process's CPU
// time to the first view and to every table, then each database call's median CPU in both (only a step's
// statements run as one query on a small load; `each` runs them one by one, to see every statement).
// CPU time, not wall time: on a shared machine a statement's wall time is mostly waiting for a core.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cpu, median } from './ab-stats.mjs';

const { register } = await import('tsx/esm/api');
register();
const [rootA, rootB, roundsArg, mode] = process.argv.slice(2);
if (rootA === undefined || rootB === undefined) {
  console.error('usage: node bench/statements-ab.mjs ROOT_A ROOT_B [ROUNDS] [each]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 8);
// ARCHIVE=path: another archive than the demo (one whose anomalies fire, to see their statements)
const bytes = new Uint8Array(readFileSync(process.env.ARCHIVE ?? path.resolve(import.meta.dirname, '../test/fixtures/archives/demo.zip')));

async function engineOf(root) {
  const at = (f) => path.resolve(root, 'src/engine', f);
  const { Engine } = await import(at('engine.ts'));
  const { openNodeDuckDb } = await import(at('duckdb/open-node.ts'));
  const { asConnection } = await import(at('duckdb/connection.ts'));
  const { bindViews } = await import(at('views/index.ts'));
  return { Engine, bindViews, base: asConnection(await openNodeDuckDb()) };
}

let databases = 0;
async function once({ Engine, bindViews, base }) {
  const own = base.connect();
  const name = `statements_ab_${databases++}`;
  own.query(`ATTACH ':memory:' AS ${name} (COMPRESS); USE ${name}`);
  const calls = new Map();
  let phase = 'load';
  const timed = { kind: own.kind, version: own.version, wasm: own.wasm, wasmBytes: () => own.wasmBytes(), close: () => {} };
  timed.connect = () => {
    throw new Error('one connection');
  };
  for (const m of ['query', 'post', 'execute', 'insertArrowIpc', 'queryArrowIpc', 'queryStream']) {
    timed[m] = (...args) => {
      const t = cpu();
      try {
        return own[m](...args);
      } finally {
        const what = m === 'insertArrowIpc' ? `insert ${args[0]}` : String(args[0]).trim().replace(/\s+/g, ' ').slice(0, 80);
        const key = `${phase.padEnd(5)} ${what}`;
        calls.set(key, (calls.get(key) ?? 0) + cpu() - t);
      }
    };
  }
  const t0 = cpu();
  const engine = await Engine.create(timed);
  if (mode === 'each') engine.builds.hooks.together = () => false;
  const views = bindViews(
    async (sql, maxRows) => engine.query(sql, maxRows),
    (tables) => engine.ready(tables),
  );
  const report = await engine.load([{ name: 'demo.zip', bytes }], undefined, { background: true, storage: 'memory' });
  if (report.errors.length > 0) throw new Error(JSON.stringify(report.errors));
  phase = 'view';
  await views.overviewFirst();
  await views.processList();
  const first = cpu() - t0;
  phase = 'rest';
  await engine.ready();
  await views.overview();
  const all = cpu() - t0;
  own.query(`USE memory; DETACH ${name}`);
  own.close();
  return { first, all, calls };
}

const engines = { A: await engineOf(rootA), B: await engineOf(rootB) };
// JIT and DuckDB's lazily compiled functions warm, as after the page's warm-up
for (let i = 0; i < 3; i++) for (const k of ['A', 'B']) await once(engines[k]);
const runs = { A: [], B: [] };
for (let r = 0; r < rounds; r++) for (const k of r % 2 ? ['B', 'A'] : ['A', 'B']) runs[k].push(await once(engines[k]));
for (const [k, root] of [
  ['A', rootA],
  ['B', rootB],
]) {
  const xs = runs[k];
  const f = (get) => `${median(xs.map(get)).toFixed(1)} ms (${xs.map((x) => get(x).toFixed(0)).join(' ')})`;
  console.log(`${k} ${root}: CPU to the first view ${f((x) => x.first)}; to every table ${f((x) => x.all)}`);
}
console.log('\n      A       B     B-A  database call (median CPU, ms)');
const keys = [...new Set([...runs.A[0].calls.keys(), ...runs.B[0].calls.keys()])];
for (const key of keys) {
  const a = median(runs.A.map((x) => x.calls.get(key) ?? 0));
  const b = median(runs.B.map((x) => x.calls.get(key) ?? 0));
  if (a >= 0.5 || b >= 0.5) console.log(`${a.toFixed(1).padStart(7)} ${b.toFixed(1).padStart(7)} ${(b - a).toFixed(1).padStart(7)}  ${key}`);
}
