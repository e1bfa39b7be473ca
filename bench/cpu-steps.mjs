// `node bench/cpu-steps.mjs ARCHIVE RUNS`: loads ARCHIVE RUNS times each way (stream, sql), alternating, each in a
// fresh DuckDB-WASM, and prints the median CPU time (this process, user + system) of: the whole load, reading and
// ingest, every database call of the analyses, and the analyses' JavaScript (the rest). CPU time rather than wall
// time: on a shared machine a step's wall time is mostly waiting for a core.
import { readFileSync } from 'node:fs';

const { register } = await import('tsx/esm/api');
register();
const { Engine } = await import('../src/engine/engine.ts');
const { openNodeDuckDb } = await import('../src/engine/duckdb/open-node.ts');
const bytes = new Uint8Array(readFileSync(process.argv[2]));
const runs = Number(process.argv[3] ?? 3);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function once(analyses) {
  const db = await openNodeDuckDb();
  const engine = await Engine.create(db, { analyses });
  const conn = engine.db;
  const by = new Map();
  let inDb = 0;
  let analysing = false;
  for (const m of ['query', 'insertArrowIpc']) {
    const f = conn[m].bind(conn);
    conn[m] = (...a) => {
      const t = cpu();
      try {
        return f(...a);
      } finally {
        const d = cpu() - t;
        if (analysing) {
          inDb += d;
          const k = m === 'query' ? String(a[0]).trim().split('\n')[0].slice(0, 60) : `insert ${a[0]}`;
          by.set(k, (by.get(k) ?? 0) + d);
        }
      }
    };
  }
  const t0 = cpu();
  let tA = 0;
  const r = await engine.load([{ name: 'x.zip', bytes }], (p) => {
    if (p.phase === 'analysing' && !analysing) {
      analysing = true;
      tA = cpu();
    }
  });
  const t1 = cpu();
  if (r.errors.length) throw new Error(JSON.stringify(r.errors));
  db.close();
  return { total: t1 - t0, ingest: tA - t0, analyseDb: inDb, analyseJs: t1 - tA - inDb, by };
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await once('sql');
const all = { stream: [], sql: [] };
for (let i = 0; i < runs; i++) for (const a of ['stream', 'sql']) all[a].push(await once(a));
for (const a of ['stream', 'sql']) {
  const xs = all[a];
  console.log(
    `${a}: CPU total ${med(xs.map((x) => x.total)).toFixed(0)} ms = ingest ${med(xs.map((x) => x.ingest)).toFixed(0)} + analyse in DuckDB ${med(xs.map((x) => x.analyseDb)).toFixed(0)} + analyse in JS ${med(xs.map((x) => x.analyseJs)).toFixed(0)}  (runs: ${xs.map((x) => x.total.toFixed(0)).join(', ')})`,
  );
  const keys = [...xs[0].by.keys()];
  for (const k of keys) {
    const v = med(xs.map((x) => x.by.get(k) ?? 0));
    if (v >= 30) console.log(`   ${v.toFixed(0).padStart(6)} ${k}`);
  }
}
