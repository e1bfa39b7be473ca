// `node bench/arrows-ab.mjs ARCHIVE ROUNDS ROOT_A ROOT_B [ROOT_C…]`: the timeline's tiles (src/engine/views/timeline.ts)
// of two or more source trees (ROOT/src: this checkout `.`, or an older tree unpacked with `git archive REV src | tar
// -x -C DIR` beside a node_modules link) on one load of ARCHIVE (DuckDB-WASM in Node, loaded by the last tree's
// engine), over the lanes a tile covers in the app, for the whole trace and for 1/50 and 1/5000 of it (in its middle)
// at ~1500 columns. Trees take turns (A B, B A… for two; A B C, B C A… for more) so the noise of a shared machine
// hits each alike. Prints the medians of this process's CPU time and of the wall time for the tile's arrows (every
// statement but the marks' and the spans') and for the whole tile, the arrows' CPU by statement, and the load average.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { cpu, median } from './ab-stats.mjs';

const { register } = await import('tsx/esm/api');
register();
const [archive, roundsArg, ...roots] = process.argv.slice(2);
if (archive === undefined || roots.length < 2) {
  console.error('usage: node bench/arrows-ab.mjs ARCHIVE ROUNDS ROOT_A ROOT_B [ROOT_C…]');
  process.exit(2);
}
const rounds = Number(roundsArg);
const trees = roots.map((_, i) => String.fromCharCode(65 + i));
const at = (root, f) => path.resolve(root, 'src/engine', f);
const last = roots[roots.length - 1];
const { Engine } = await import(at(last, 'engine.ts'));
const { openNodeDuckDb } = await import(at(last, 'duckdb/open-node.ts'));
const views = Object.fromEntries(await Promise.all(trees.map(async (k, i) => [k, await import(at(roots[i], 'views/timeline.ts'))])));
trees.forEach((k, i) => console.log(`${k}: ${roots[i]}`));

const engine = await Engine.create(await openNodeDuckDb());
const l0 = performance.now();
const report = await engine.load([{ name: path.basename(archive), bytes: new Uint8Array(readFileSync(archive)) }]);
if (report.errors.length > 0) throw new Error(JSON.stringify(report.errors));
console.log(`${path.basename(archive)}: ${report.events} events loaded in ${(performance.now() - l0).toFixed(0)} ms`);

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
/** Round r's order: A B, B A, … for two trees; rotated for more. */
const order = (r) => (trees.length === 2 ? (r % 2 ? ['B', 'A'] : ['A', 'B']) : trees.map((_, i) => trees[(i + r) % trees.length]));
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
