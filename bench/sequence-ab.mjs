// `node bench/sequence-ab.mjs ARCHIVE ROUNDS ROOT_A ROOT_B [ROOT_C…]`: the sequence diagram's rows
// (src/engine/views/sequence.ts) of two or more source trees on one load (bench/ab-trees.mjs), for the two processes
// that exchanged the most messages, over the whole trace and over 1/50 and 1/5000 of it (in its middle), trees taking
// turns. Prints the medians of this process's CPU time and of the wall time per call, and the load average.
import { loadavg } from 'node:os';
import { cpu, median } from './ab-stats.mjs';
import { treesOnOneLoad } from './ab-trees.mjs';

const { rounds, trees, views, engine, order } = await treesOnOneLoad('sequence-ab.mjs', 'views/sequence.ts');

const sql = async (q, n) => engine.query(q, n ?? 1_000_000);
const [[t0, t1]] = engine.query('SELECT min(ts), max(ts) FROM events', 1).rows;
const first = BigInt(t0);
const len = BigInt(t1) - first;
const procs = await views[trees[trees.length - 1]].sequenceSuggested(sql);
console.log(`the two busiest: ${procs.map((p) => p.pid).join(' and ')}`);
const windows = [
  { name: 'whole', win: null },
  ...[50n, 5000n].map((d) => ({ name: `1/${d}`, win: { start: first + len / 2n - len / d / 2n, end: first + len / 2n + len / d / 2n } })),
];
const call = async (k, w) => {
  const c = cpu();
  const t = performance.now();
  const r = await views[k].sequenceRows(sql, first, procs, w.win);
  return { cpu: cpu() - c, wall: performance.now() - t, rows: r.rows.length, total: r.total };
};
for (const w of windows) for (const k of trees) await call(k, w);
const runs = Object.fromEntries(windows.map((w) => [w.name, Object.fromEntries(trees.map((k) => [k, []]))]));
const load = [];
for (let r = 0; r < rounds; r++) {
  load.push(loadavg()[0]);
  for (const w of windows) for (const k of order(r)) runs[w.name][k].push(await call(k, w));
}
const m = (xs, f) => median(xs.map(f)).toFixed(1);
console.log(`${rounds} rounds, load average ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)} (median ${median(load).toFixed(1)})`);
console.log('window  tree  rows (of)       CPU / wall (median ms)');
for (const w of windows)
  for (const k of trees) {
    const xs = runs[w.name][k];
    console.log(
      `${w.name.padEnd(7)} ${k}    ${`${xs[0].rows} (${xs[0].total})`.padEnd(14)} ${m(xs, (x) => x.cpu).padStart(8)} / ${m(xs, (x) => x.wall).padStart(7)}`,
    );
  }
process.exit(0);
