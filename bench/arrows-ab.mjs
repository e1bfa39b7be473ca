// `node bench/arrows-ab.mjs ARCHIVE ROUNDS ROOT_A ROOT_B [ROOT_C…]`: the timeline's tiles (src/engine/views/timeline.ts)
// of two or more source trees on one load (bench/ab-trees.mjs), over the lanes a tile covers in the app, for the whole
// trace and for 1/50 and 1/5000 of it (in its middle) at ~1500 columns, trees taking turns. Prints the medians of this
// process's CPU time and of the wall time for the tile's arrows (every statement but the marks' and the spans') and
// for the whole tile, the arrows' CPU by statement, and the load average.
import { loadavg } from 'node:os';
import { cpu, median } from './ab-stats.mjs';
import { treesOnOneLoad } from './ab-trees.mjs';

const { rounds, trees, views, engine, order } = await treesOnOneLoad('arrows-ab.mjs', 'views/timeline.ts');

// Each statement's CPU and wall time; the arrows' (every statement of a tile but its marks' and spans') apart.
let arrowCpu = 0;
let arrowWall = 0;
/** Per arrow statement (by the table it reads) of the current tile: CPU ms. */
let parts = {};
const partOf = (q) =>
  /FROM messages m/.test(q) ? 'messages' : /FROM signal_lines/.test(q) ? 'signal_lines' : /JOIN processes p/.test(q) ? 'senders' : 'other';
const sql = async (q, n) => {
  const c = cpu();
  const w = performance.now();
  try {
    return engine.query(q, n ?? 1_000_000);
  } finally {
    if (!/FROM (events e|spans s) JOIN/.test(q)) {
      arrowCpu += cpu() - c;
      parts[partOf(q)] = (parts[partOf(q)] ?? 0) + cpu() - c;
      arrowWall += performance.now() - w;
    }
  }
};
const [[t0, t1]] = engine.query('SELECT min(ts), max(ts) FROM events', 1).rows;
const len = Number(BigInt(t1) - BigInt(t0));
const lanes = await views[trees[trees.length - 1]].timelineLanes(sql);
const signals = engine.query(`SELECT count(*) FILTER (WHERE status = 'signal'), count(*) FROM messages`, 1).rows[0].map(Number);
console.log(`${lanes.length} lanes, ${signals[1]} messages, ${signals[0]} of them signals`);
const pow2 = (x) => 2 ** Math.floor(Math.log2(Math.max(1, x)));
const windows = [1, 50, 5000].map((d) => {
  const w = Math.ceil(len / d) + (d === 1 ? 1 : 0);
  const start = d === 1 ? 0 : Math.floor(len / 2 - w / 2);
  return { name: d === 1 ? 'whole' : `1/${d}`, start, end: start + w, bucket: pow2(w / 1500) };
});

// As the timeline asks (src/ui/views/timeline/tile-scheduler.ts): every lane up to 300, else those in view and a
// margin, here the first 150.
const range = { from: 0, to: lanes.length <= 300 ? lanes.length : 150 };

async function tile(k, w) {
  arrowCpu = 0;
  arrowWall = 0;
  parts = {};
  const c = cpu();
  const t = performance.now();
  const r = await views[k].timelineTile(sql, BigInt(t0), len, lanes.slice(0, range.to), range, w.start, w.end, w.bucket);
  return { cpu: cpu() - c, wall: performance.now() - t, arrowCpu, arrowWall, arrows: r.arrows.count, parts };
}

// Warm: JIT and DuckDB's lazily compiled functions.
for (const w of windows) for (const k of trees) await tile(k, w);
const runs = Object.fromEntries(windows.map((w) => [w.name, Object.fromEntries(trees.map((k) => [k, []]))]));
const load = [];
for (let r = 0; r < rounds; r++) {
  load.push(loadavg()[0]);
  for (const w of windows) for (const k of order(r)) runs[w.name][k].push(await tile(k, w));
}
const m = (xs, f) => median(xs.map(f)).toFixed(1);
console.log(`${rounds} rounds, load average ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)} (median ${median(load).toFixed(1)})`);
console.log('window  tree  arrows  arrows CPU / wall       whole tile CPU / wall   arrows CPU by statement (median ms)');
for (const w of windows)
  for (const k of trees) {
    const xs = runs[w.name][k];
    console.log(
      `${w.name.padEnd(7)} ${k}    ${String(xs[0].arrows).padStart(6)}  ${m(xs, (x) => x.arrowCpu).padStart(8)} / ${m(xs, (x) => x.arrowWall).padStart(6)}        ${m(xs, (x) => x.cpu).padStart(8)} / ${m(xs, (x) => x.wall).padStart(6)}   ${Object.keys(
        xs[0].parts,
      )
        .map((p) => `${p} ${m(xs, (x) => x.parts[p] ?? 0)}`)
        .join(', ')}`,
    );
  }
process.exit(0);
