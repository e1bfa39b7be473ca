// `node bench/summary-steps.mjs [RUNS] [FILE] [--bundle DIR [--env NAME=VALUE]...]...`: where the wall time of
// `otpscope summary FILE` goes (default: the demo archive, 5 runs), from process start to exit, each run a fresh
// process of the bundled CLI (dist-cli/, built first: `node scripts/build-cli.mjs`), as a user starts it. Several
// --bundle DIRs (bundles made by `node scripts/build-cli.mjs DIR` at other commits, DIR inside the repository) run
// alternating, run by run, so a before/after shares the machine's load. `--env NAME=VALUE` after a --bundle sets a
// variable for that bundle's runs only: the same bundle named twice (through a symlink) compares settings read at
// process start, such as UV_THREADPOOL_SIZE or MALLOC_ARENA_MAX, which no line of the CLI can set in time. Prints per
// bundle the median of each phase (between the performance marks otpscope:* of bin/otpscope.mjs, src/cli/main.ts and
// the native DuckDB thread, collected by bench/summary-marks-hook.mjs), the load's own split and its slowest analysis
// statements, and the process's wall and CPU time (user + sys, every thread) and minor page faults (pages touched
// for the first time: ~16 µs each here, and a count that a loaded machine hardly changes).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './ab-stats.mjs';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const bundles = [];
/** Each bundle's own environment variables (\`--env NAME=VALUE\` after its --bundle). */
const envs = [];
const rest = [];
for (let i = 0; i < args.length; i++)
  if (args[i] === '--bundle') (bundles.push(path.resolve(args[++i])), envs.push({}));
  else if (args[i] === '--env') {
    const [name, ...value] = args[++i].split('=');
    if (envs.length === 0) envs.push({});
    envs[envs.length - 1][name] = value.join('=');
  } else rest.push(args[i]);
const runs = Number(rest[0] ?? 5);
const file = path.resolve(rest[1] ?? path.join(root, 'test/fixtures/archives/demo.zip'));
if (bundles.length === 0) bundles.push(path.join(root, 'dist-cli'));
if (envs.length === 0) envs.push({});
const hook = pathToFileURL(path.join(root, 'bench/summary-marks-hook.mjs')).href;
const work = mkdtempSync(path.join(tmpdir(), 'otpscope-summary-steps-'));

/** A script that starts a bundle as bin/otpscope.mjs does (its prestart first), with the same marks. */
function runner(bundle) {
  const script = path.join(work, `${path.basename(bundle)}-${bundles.indexOf(bundle)}.mjs`);
  const prestart = path.join(bundle, 'prestart.mjs');
  writeFileSync(
    script,
    `performance.mark('otpscope:cli-start');\n` +
      (existsSync(prestart) ? `(await import(${JSON.stringify(pathToFileURL(prestart).href)})).prestart(process.argv.slice(2));\n` : '') +
      `performance.mark('otpscope:prestarted');\n` +
      `const { main } = await import(${JSON.stringify(pathToFileURL(path.join(bundle, 'main.mjs')).href)});\n` +
      `performance.mark('otpscope:cli-modules');\n` +
      `process.exitCode = await main(process.argv.slice(2));\n`,
  );
  return script;
}

/** One run: every mark (absolute ms), the parent's wall time (spawn to exit) and the process's CPU time. */
function once(bundle, script, env) {
  const marksFile = path.join(work, 'marks.jsonl');
  rmSync(marksFile, { force: true });
  const t0 = performance.timeOrigin + performance.now();
  const r = spawnSync(process.execPath, ['--import', hook, script, 'summary', file], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env, OTPSCOPE_MARKS_FILE: marksFile },
  });
  const t1 = performance.timeOrigin + performance.now();
  if (r.status !== 0) throw new Error(`${bundle}: otpscope summary failed: ${r.stderr.trim().split('\n').pop()}`);
  const marks = readFileSync(marksFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const exit = marks.find((m) => m.name === 'exit');
  const at = (name, thread = 'main') => marks.find((m) => m.thread === thread && m.name === name)?.at;
  return { t0, t1, marks, exit, at };
}

/** Phases between main-thread marks, in order; a missing mark (an older bundle) leaves its phase out. */
const PHASES = [
  ['process start → Node ready', 'start', 'node:bootstrap-complete'],
  ['Node ready → CLI entry runs', 'node:bootstrap-complete', 'otpscope:cli-start'],
  ['prestart (import, start the DuckDB thread)', 'otpscope:cli-start', 'otpscope:prestarted'],
  ['CLI modules (import main.mjs)', 'otpscope:prestarted', 'otpscope:cli-modules'],
  ['read the input files', 'otpscope:cli-modules', 'otpscope:inputs-read'],
  ['native DuckDB connection (its open: in the load)', 'otpscope:inputs-read', 'otpscope:database-open'],
  ['create the empty tables', 'otpscope:database-open', 'otpscope:engine-created'],
  ['load: read, ingest, analysis tables', 'otpscope:engine-created', 'otpscope:loaded'],
  ['summary queries and output', 'otpscope:loaded', 'otpscope:answered'],
  ['close DuckDB, end its thread', 'otpscope:answered', 'otpscope:closed'],
  ['exit handlers', 'otpscope:closed', 'exit'],
  ['process teardown (exit → parent sees it)', 'exit', 'end'],
];
/** The DuckDB thread's marks, as times since process start. */
const THREAD = [
  ['thread: Node running in it (this hook loaded)', 'thread-ready'],
  ['thread: node-api and DuckDB loaded', 'otpscope:native-modules'],
  ['thread: its database open (defaults)', 'otpscope:native-early-db'],
  ['main: open request sent', 'otpscope:native-open-sent'],
  ['thread: open done (settings, startup SQL)', 'otpscope:native-opened'],
];

const scripts = bundles.map(runner);
const results = bundles.map(() => []);
for (let i = 0; i < runs; i++)
  for (let j = 0; j < bundles.length; j++) {
    const k = i % 2 === 0 ? j : bundles.length - 1 - j;
    const r = once(bundles[k], scripts[k], envs[k]);
    results[k].push(r);
    console.error(
      `${path.relative(root, bundles[k]) || '.'} ${i + 1}: ${(r.t1 - r.t0).toFixed(0)} ms wall, ${r.exit.cpuMs.toFixed(0)} ms CPU, ${r.exit.faults} faults`,
    );
  }
rmSync(work, { recursive: true, force: true });

const f = (x) => (Number.isFinite(x) ? x.toFixed(1).padStart(7) : '      -');
for (let k = 0; k < bundles.length; k++) {
  const rs = results[k];
  console.log(`\n${path.relative(root, bundles[k])}: otpscope summary ${path.relative(root, file)}, medians of ${rs.length} fresh processes`);
  console.log(
    `  wall ${f(median(rs.map((r) => r.t1 - r.t0)))} ms (spawn to exit); CPU ${f(median(rs.map((r) => r.exit.cpuMs)))} ms (user ${f(median(rs.map((r) => r.exit.userMs)))}, sys ${f(median(rs.map((r) => r.exit.sysMs)))}); minor page faults ${median(rs.map((r) => r.exit.faults))}`,
  );
  const time = (r, name) => (name === 'start' ? r.exit.origin : name === 'end' ? r.t1 : r.at(name));
  const cpuAt = (r, name) => (name === 'start' ? 0 : name === 'end' ? r.exit.cpuMs : r.marks.find((m) => m.thread === 'main' && m.name === name)?.cpuMs);
  console.log('     wall      CPU (ms, CPU: the whole process, every thread)');
  for (const [label, from, to] of PHASES)
    console.log(`  ${f(median(rs.map((r) => time(r, to) - time(r, from))))}  ${f(median(rs.map((r) => cpuAt(r, to) - cpuAt(r, from))))}  ${label}`);
  console.log('  the native DuckDB thread, since process start:');
  for (const [label, name] of THREAD)
    console.log(`  at ${f(median(rs.map((r) => (r.at(name, name.includes('open-sent') ? 'main' : 'native') ?? NaN) - r.exit.origin)))} ms  ${label}`);
  const loads = rs.map((r) => r.marks.find((m) => m.name === 'otpscope:loaded')?.detail).filter(Boolean);
  if (loads.length === 0) continue;
  console.log(
    `  load: read+decode ${f(median(loads.map((l) => l.readMs)))} ms (inserts ${f(median(loads.map((l) => l.insertMs)))} ms), analysis ${f(median(loads.map((l) => l.analyseMs)))} ms in ${median(loads.map((l) => l.steps.length))} statements`,
  );
  const bySql = new Map();
  for (const l of loads) {
    const seen = new Map();
    for (const s of l.steps) seen.set(s.sql, (seen.get(s.sql) ?? 0) + s.ms);
    for (const [sql, ms] of seen) bySql.set(sql, [...(bySql.get(sql) ?? []), ms]);
  }
  const top = [...bySql].map(([sql, ms]) => [sql, median(ms)]).sort((a, b) => b[1] - a[1]);
  console.log(`  slowest statements (median ms; statements run as one query share its time evenly):`);
  for (const [sql, ms] of top.slice(0, 12)) console.log(`    ${f(ms)}  ${sql}`);
}
