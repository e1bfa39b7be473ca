// What bench/arrows-ab.mjs and bench/sequence-ab.mjs share: the arguments `ARCHIVE ROUNDS ROOT_A ROOT_B [ROOT_C…]`,
// one view module of each source tree (ROOT/src: this checkout `.`, or an older tree unpacked with `git archive REV
// src | tar -x -C DIR` beside a node_modules link), and one load of ARCHIVE by the last tree's engine (DuckDB-WASM
// in Node), on which every tree's view runs. Trees take turns (A B, B A… for two; A B C, B C A… for more) so the
// noise of a shared machine hits each alike.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export async function treesOnOneLoad(script, viewFile) {
  const { register } = await import('tsx/esm/api');
  register();
  const [archive, roundsArg, ...roots] = process.argv.slice(2);
  if (archive === undefined || roots.length < 2) {
    console.error(`usage: node bench/${script} ARCHIVE ROUNDS ROOT_A ROOT_B [ROOT_C…]`);
    process.exit(2);
  }
  const trees = roots.map((_, i) => String.fromCharCode(65 + i));
  const at = (root, f) => path.resolve(root, 'src/engine', f);
  const last = roots[roots.length - 1];
  const { Engine } = await import(at(last, 'engine.ts'));
  const { openNodeDuckDb } = await import(at(last, 'duckdb/open-node.ts'));
  const views = Object.fromEntries(await Promise.all(trees.map(async (k, i) => [k, await import(at(roots[i], viewFile))])));
  trees.forEach((k, i) => console.log(`${k}: ${roots[i]}`));
  const engine = await Engine.create(await openNodeDuckDb());
  const l0 = performance.now();
  const report = await engine.load([{ name: path.basename(archive), bytes: new Uint8Array(readFileSync(archive)) }]);
  if (report.errors.length > 0) throw new Error(JSON.stringify(report.errors));
  console.log(`${path.basename(archive)}: ${report.events} events loaded in ${(performance.now() - l0).toFixed(0)} ms`);
  const order = (r) => (trees.length === 2 ? (r % 2 ? ['B', 'A'] : ['A', 'B']) : trees.map((_, i) => trees[(i + r) % trees.length]));
  return { rounds: Number(roundsArg), trees, views, engine, order };
}
