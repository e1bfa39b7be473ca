#!/usr/bin/env node
// The architecture's seams, checked on every import in src/: readers know
// nothing of the engine, the UI or the CLI; the engine knows nothing of the UI
// or the CLI; the CLI never reaches into the UI; the UI reaches the readers
// only for types, and of the engine it runs only pure helpers (clock, view
// constants): DuckDB, ingest, the SQL builds and the Engine class live in the
// worker, which the UI names with `new URL(...)`. Exits 1 listing every
// crossing, with file and line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// `node scripts/check-seams.mjs [ROOT]`: ROOT defaults to the repository (its src/ is checked).
const root = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..'));
const src = path.join(root, 'src');

/** area -> areas it must not import at all / paths under src/ it may import for types only. */
const RULES = {
  archive: { never: ['engine', 'ui', 'cli'], typesOnly: [] },
  engine: { never: ['ui', 'cli'], typesOnly: [] },
  cli: { never: ['ui'], typesOnly: [] },
  ui: {
    never: ['cli'],
    typesOnly: ['archive', 'engine/duckdb', 'engine/ingest', 'engine/sql', 'engine/engine', 'engine/api', 'engine/console', 'engine/worker'],
  },
};

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(ts|svelte|mjs|js)$/.test(name)) yield p;
  }
}

const areaOf = (file) => path.relative(src, file).split(path.sep)[0];

// Static imports and re-exports (`import type` / `export type` marked), and dynamic import().
const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

const crossings = [];
for (const file of files(src)) {
  const from = areaOf(file);
  const rule = RULES[from];
  if (!rule) continue;
  const text = readFileSync(file, 'utf8');
  const lineOf = (index) => text.slice(0, index).split('\n').length;
  const check = (spec, typeOnly, index) => {
    if (!spec.startsWith('.')) return;
    const target = path.resolve(path.dirname(file), spec);
    if (!target.startsWith(src + path.sep)) return;
    const to = areaOf(target);
    if (to === from) return;
    const where = `${path.relative(root, file)}:${lineOf(index)}`;
    if (rule.never.includes(to)) crossings.push(`${where}: ${from} must not import ${to} (${spec})`);
    const rel = path.relative(src, target).split(path.sep).join('/');
    const guarded = rule.typesOnly.find((p) => rel === p || rel.startsWith(p + '/') || rel.startsWith(p + '.'));
    if (guarded && !typeOnly) crossings.push(`${where}: ${from} may import ${guarded} for types only (${spec}); use \`import type\``);
  };
  for (const m of text.matchAll(IMPORT)) check(m[3], m[2] !== undefined, m.index);
  for (const m of text.matchAll(DYNAMIC)) check(m[1], false, m.index);
}

if (crossings.length > 0) {
  console.error(`import seams crossed (${crossings.length}):\n${crossings.map((c) => `  ${c}`).join('\n')}`);
  process.exit(1);
}
console.log('import seams: ok (readers import nothing of ours; engine: readers; cli: engine, readers; ui: types of readers and engine, pure engine helpers)');
