// `node bench/startup-ab.mjs DIR_A DIR_B [ROUNDS]`: the start-up bench (bench/browser/startup.mjs) on two builds
// of the site, alternating A, B, A, B… (one fresh Chromium profile each: a cold visit, then three warm ones), so
// that a before/after pair shares the machine's load. Prints per build the medians of the warm start, the demo
// archive's file input → Overview, the bundled demo after ready, the phases' end times, and the CPU time the
// Chromium processes used per profile (the children's CPU this process reaped: Chromium exits after each).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startupFigures, PHASES } from './browser/startup.mjs';
import { median } from './ab-stats.mjs';

const [a, b, roundsArg] = process.argv.slice(2);
if (a === undefined || b === undefined) {
  console.error('usage: node bench/startup-ab.mjs DIR_A DIR_B [ROUNDS]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 3);
const small = path.resolve(import.meta.dirname, '../test/fixtures/archives/demo.zip');

/** CPU seconds of this process's reaped children (utime + stime), from /proc/self/stat. */
function childCpu() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state); cutime and cstime are fields 16 and 17.
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / 100;
}

const out = { [a]: [], [b]: [] };
for (let r = 0; r < rounds; r++) {
  for (const dir of r % 2 === 0 ? [a, b] : [b, a]) {
    const cpu0 = childCpu();
    const t0 = Date.now();
    const [run] = await startupFigures({ profiles: 1, warmVisits: 3, smallArchive: small, siteRoot: path.resolve(dir) }, () => {});
    const cpu = childCpu() - cpu0;
    out[dir].push({ ...run, cpu, wall: (Date.now() - t0) / 1000 });
    console.error(
      `${dir}: warm ${run.warm.map((x) => x.toFixed(0)).join(' ')} ms; demo.zip ${run.small.map((x) => x.toFixed(0)).join(' ')} ms; ` +
        `?demo after ready ${run.demo.map((d) => d.afterReady.toFixed(0)).join(' ')} ms; ` +
        `demo.zip after idle ${run.idle.map((x) => x.ms.toFixed(0)).join(' ')} ms (warm-up ${run.idle.map((x) => (x.warmUp ? `${x.warmUp.outcome} ${x.warmUp.ms.toFixed(0)}` : '-')).join(', ')}); demo.zip renderer CPU ${run.smallCpu.map((c) => (1000 * c.process).toFixed(0)).join(' ')} ms; profile CPU ${cpu.toFixed(1)} s, wall ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
}
for (const dir of [a, b]) {
  const runs = out[dir];
  const f = (x) => x.toFixed(0);
  console.log(`\n${dir} (${runs.length} profiles)`);
  console.log(`  cold start: ${f(median(runs.map((r) => r.cold)))} ms`);
  console.log(`  warm start: ${f(median(runs.flatMap((r) => r.warm)))} ms (${runs.flatMap((r) => r.warm).length} visits)`);
  console.log(
    `  demo.zip file input → Overview usable: ${f(median(runs.flatMap((r) => r.small)))} ms; every table ${f(median(runs.flatMap((r) => r.smallAll)))} ms`,
  );
  const idle = runs.flatMap((r) => r.idle);
  console.log(
    `  demo.zip file input → Overview usable, file given after the warm-up (≥ 2 s after ready): ${f(median(idle.map((x) => x.ms)))} ms; every table ${f(median(idle.map((x) => x.allMs)))} ms`,
  );
  console.log(
    `  renderer CPU of that load: ${f(1000 * median(idle.map((x) => x.cpu.process)))} ms (main thread ${f(1000 * median(idle.map((x) => x.cpu.main)))} ms); renderer CPU from ready to the file (the warm-up): ${f(1000 * median(idle.map((x) => x.idleCpu)))} ms`,
  );
  console.log(`  ?demo usable after ready: ${f(median(runs.flatMap((r) => r.demo.map((d) => d.afterReady))))} ms`);
  console.log(
    `  renderer CPU at warm ready: ${f(1000 * median(runs.flatMap((r) => r.warmCpu.map((c) => c.process))))} ms (main thread ${f(1000 * median(runs.flatMap((r) => r.warmCpu.map((c) => c.main))))} ms)`,
  );
  console.log(
    `  renderer CPU, demo.zip file input → Overview usable: ${f(1000 * median(runs.flatMap((r) => r.smallCpu.map((c) => c.process))))} ms (main thread ${f(1000 * median(runs.flatMap((r) => r.smallCpu.map((c) => c.main))))} ms)`,
  );
  console.log(`  Chromium CPU per profile: ${median(runs.map((r) => r.cpu)).toFixed(1)} s (${runs.map((r) => r.cpu.toFixed(1)).join(' ')})`);
  for (const [name] of PHASES) console.log(`  ${name}: ${f(median(runs.flatMap((r) => r.phases.map((p) => p[name]))))} ms`);
}
