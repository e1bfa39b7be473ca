// `node --cpu-prof --cpu-prof-dir=DIR bench/profile-load.mjs ARCHIVE`: one Node
// engine load of ARCHIVE under the V8 profiler, then `bench/profile-load.mjs
// --summary DIR` prints the top self-time functions (where a missed load goal's time goes).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

if (process.argv[2] === '--summary') {
  const dir = process.argv[3];
  // tsx's module-hooks thread writes a profile too: take the main thread's (the biggest).
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(path.join(dir, b)).size - statSync(path.join(dir, a)).size)[0];
  const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const self = new Map();
  const dt = prof.timeDeltas;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byId.get(prof.samples[i]);
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url ? path.relative(process.cwd(), cf.url.replace('file://', '')) : ''}:${cf.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
  }
  self.delete('(idle) :0');
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[4] ?? 20));
  const byFile = new Map();
  for (const [fn, us] of self) {
    const where = fn.includes('wasm:/')
      ? 'DuckDB wasm (SQL, Arrow ingest)'
      : fn.startsWith('(garbage')
        ? 'garbage collector'
        : (fn.split(' ')[1] ?? '').replace(/:\d+$/, '') || fn;
    byFile.set(where, (byFile.get(where) ?? 0) + us);
  }
  const files = [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
  console.log(JSON.stringify({ byFile: files.map(([f, us]) => ({ file: f, ms: +(us / 1000).toFixed(1), pct: +((100 * us) / total).toFixed(1) })) }, null, 1));
  console.log(
    JSON.stringify(
      { totalMs: total / 1000, top: top.map(([fn, us]) => ({ fn, ms: +(us / 1000).toFixed(1), pct: +((100 * us) / total).toFixed(1) })) },
      null,
      1,
    ),
  );
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { timeEngineLoad } = await import('./core/load-run.ts');
  const { openNodeBenchDb } = await import('./node/open-db.ts');
  const bytes = new Uint8Array(readFileSync(process.argv[2]));
  const r = await timeEngineLoad(openNodeBenchDb, { name: path.basename(process.argv[2]), bytes });
  console.log(JSON.stringify(r.timing));
}
