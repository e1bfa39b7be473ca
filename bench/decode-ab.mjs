// `node --expose-gc bench/decode-ab.mjs ROOT_A ROOT_B [PAIRS] [plain|dict] [FILE...]`: an archive's bytes → the raw
// tables' Arrow IPC (zip, ETF, EventSink, IPC in 200k-row batches, as Engine.load feeds a sink without DuckDB), by
// the code of two source trees (ROOT/src: this checkout `.`, or an older tree unpacked with `git archive REV src |
// tar -x -C DIR`), each bundled by esbuild as the CLI is, in one process, alternating A B B A… with `gc()` before
// every run. Prints the medians of this process's CPU time (user + system) and wall time per tree and the median of
// the paired differences (B − A). `plain` text columns are the native CLI's, `dict` (Arrow dictionaries) DuckDB-WASM's.
// Default FILE: the 1M ping-pong archive of bench/.cache. The tree loaded second ran ~150-470 ms slower per 1M
// events whatever its code (docs/PERFORMANCE.md, 2026-12-05 midday): run both orders and take them together.
//
// `node bench/decode-ab.mjs --sha ROOT [plain|dict] [FILE_OR_DIR...]`: SHA-1 of every raw table's IPC bytes (all
// batches in order) per input, one line each, for comparing two trees' output byte for byte (default: every
// fixture archive and raw trace under test/fixtures and test/scenarios, and the 1M archive).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { cpu, median } from './ab-stats.mjs';

const here = path.resolve(import.meta.dirname, '..');
// The 1M ping-pong archive the bench recorded last (its name carries the recorder's version, which changes).
const cache = path.join(here, 'bench/.cache');
const MILLION = (() => {
  const found = (() => {
    try {
      return readdirSync(cache).filter((f) => /^pingpong-166667-[0-9a-f]+\.zip$/.test(f));
    } catch {
      return [];
    }
  })().sort((a, b) => statSync(path.join(cache, b)).mtimeMs - statSync(path.join(cache, a)).mtimeMs);
  return path.join(cache, found[0] ?? 'pingpong-166667-missing.zip');
})();

// Engine.load's path from the bytes to the IPC handed to the database, without the database (engine.ts: flushRows,
// sinkRows, one IpcOut for every table).
const ENTRY = `
import { groupInputs, openSource } from './src/archive/formats';
import { EventSink } from './src/engine/ingest/event-sink';
import { IpcOut } from './src/engine/ingest/ipc-out';
const FLUSH = 200_000;
export async function run(files, dictionary, take) {
  const { groups, errors } = groupInputs(files);
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('; '));
  const out = new IpcOut();
  let events = 0;
  for (const [src, group] of groups.entries()) {
    const opened = await openSource(group, {});
    const rows = Math.min(FLUSH + (FLUSH >> 3), Math.max(1024, Math.ceil(group.bytes / 4)));
    const sink = new EventSink(src, events, undefined, { dictionary, rows });
    sink.useRender(opened.render);
    for (const f of opened.processes) sink.addFact(f);
    for (const t of opened.trees) sink.addTree(t.snapshot, t.node, t.term);
    for await (const b of opened.batches) {
      if (b.render) sink.useRender(b.render);
      if (b.columns) sink.addColumns(b.columns);
      for (const ev of b.events) sink.add(ev);
      for (const f of b.processes ?? []) sink.addFact(f);
      for (const t of b.trees ?? []) sink.addTree(t.snapshot, t.node, t.term);
      if (sink.events.length >= FLUSH) sink.drainEach(take, out);
    }
    sink.drainEach(take, out);
    events += sink.count;
  }
  return events;
}
`;

async function load(root) {
  const dir = path.resolve(root);
  const r = await build({
    stdin: { contents: ENTRY, resolveDir: dir, loader: 'ts', sourcefile: 'decode-ab-entry.ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'error',
  });
  const code = r.outputFiles[0].text;
  // A data: URL per tree, so both modules live side by side in this process.
  return import(`data:text/javascript;base64,${Buffer.from(code + `\n// ${dir}\n`).toString('base64')}`);
}

const inputsOf = (p) => {
  const st = statSync(p);
  if (st.isFile()) return [{ name: path.basename(p), bytes: new Uint8Array(readFileSync(p)) }];
  return readdirSync(p)
    .filter((f) => statSync(path.join(p, f)).isFile() && !/\.(json|md|sh|erl|exs|sql|txt)$/.test(f))
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(path.join(p, f))) }));
};

/** Every fixture input: each zip alone, the other files of a folder together (dbg wrap sets, ttb uploads). */
function fixtureInputs() {
  const out = [];
  const walk = (d) => {
    const files = readdirSync(d).sort();
    const raw = [];
    for (const f of files) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.zip')) out.push(p);
      else if (!/\.(json|md|sh|erl|exs|sql|txt|ts|mjs)$/.test(f)) raw.push(p);
    }
    if (raw.length > 0) out.push(d);
  };
  walk(path.join(here, 'test/fixtures'));
  for (const f of readdirSync(path.join(here, 'test/scenarios')).sort()) if (f.endsWith('.zip')) out.push(path.join(here, 'test/scenarios', f));
  out.push(MILLION);
  return out;
}

const args = process.argv.slice(2);
if (args[0] === '--sha') {
  const [, root, kind = 'plain', ...files] = args;
  const mod = await load(root);
  for (const f of files.length > 0 ? files : fixtureInputs()) {
    const hashes = new Map();
    let events;
    try {
      events = await mod.run(inputsOf(f), kind === 'dict', (table, ipc) => {
        let h = hashes.get(table);
        if (h === undefined) hashes.set(table, (h = createHash('sha1')));
        h.update(ipc);
      });
    } catch (e) {
      console.log(`${path.relative(here, f)} error ${e.message.slice(0, 100)}`);
      continue;
    }
    const tables = [...hashes].map(([t, h]) => `${t}=${h.digest('hex').slice(0, 12)}`).join(' ');
    console.log(`${path.relative(here, f)} ${events} ${tables}`);
  }
  process.exit(0);
}

const [rootA, rootB, pairsArg, kind = 'plain', ...files] = args;
if (rootA === undefined || rootB === undefined) {
  console.error('usage: node --expose-gc bench/decode-ab.mjs ROOT_A ROOT_B [PAIRS] [plain|dict] [FILE...]');
  process.exit(2);
}
if (globalThis.gc === undefined) throw new Error('run with --expose-gc');
const pairs = Number(pairsArg ?? 6);
const input = (files.length > 0 ? files : [MILLION]).flatMap(inputsOf);
const trees = { A: await load(rootA), B: await load(rootB) };
const ipcBytes = { A: 0, B: 0 };
async function once(which) {
  let bytes = 0;
  globalThis.gc();
  const c = cpu();
  const w = performance.now();
  const events = await trees[which].run(input, kind === 'dict', (_t, ipc) => (bytes += ipc.length));
  const r = { cpu: cpu() - c, wall: performance.now() - w, events };
  ipcBytes[which] = bytes;
  return r;
}
// a warm-up run each
await once('A');
await once('B');
const res = { A: [], B: [] };
for (let i = 0; i < pairs; i++) {
  const order = i % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
  const r = {};
  for (const w of order) r[w] = await once(w);
  res.A.push(r.A);
  res.B.push(r.B);
  console.log(
    `pair ${i + 1} (${order.join('')}): A ${r.A.cpu.toFixed(0)} ms CPU / ${r.A.wall.toFixed(0)} wall, B ${r.B.cpu.toFixed(0)} / ${r.B.wall.toFixed(0)}`,
  );
}
const m = (w, k) => median(res[w].map((r) => r[k])).toFixed(0);
const diff = (k) => median(res.A.map((a, i) => res.B[i][k] - a[k])).toFixed(0);
const faster = res.A.filter((a, i) => res.B[i].cpu < a.cpu).length;
console.log(
  `${kind}, ${res.A[0].events} events, ${pairs} pairs: CPU A ${m('A', 'cpu')} → B ${m('B', 'cpu')} ms (paired ${diff('cpu')}, B faster in ${faster}), ` +
    `wall ${m('A', 'wall')} → ${m('B', 'wall')} ms (paired ${diff('wall')}); IPC bytes A ${ipcBytes.A} B ${ipcBytes.B}`,
);
