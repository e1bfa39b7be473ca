// `node bench/load-split.mjs ARCHIVE [--runs N] [--site DIR]...`: where the built app's engine worker spends a big
// load up to the Overview (the page's own load: `background`, so it returns once events and processes are built),
// by the engine's own timings: reading (unzip, ETF, the raw tables' columns, Arrow IPC), DuckDB-WASM's inserts
// (everything on the one engine thread), and the first view's SQL; with the renderer's CPU time (every thread of
// the tab's process, CDP Performance.ProcessTime) beside the wall time. Each run is a fresh page (a fresh engine).
// Run `npx vite build` first. With several --site folders the builds take turns, run by run (A/B alternating).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { withChromium } from './browser/ui-load.mjs';
import { median } from './ab-stats.mjs';

const args = process.argv.slice(2);
const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (file === undefined) {
  console.error('usage: node bench/load-split.mjs ARCHIVE [--runs N] [--site DIR]...');
  process.exit(2);
}
const runs = Number(args[args.indexOf('--runs') + 1] || 3);
const sites = args.flatMap((a, i) => (a === '--site' ? [path.resolve(args[i + 1])] : []));
const bytes = readFileSync(file);

/** Processes descended from this one (Chromium's), by /proc. */
function descendants() {
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, pp] of parent) if (!mine.has(p) && mine.has(pp)) (mine.add(p), (grew = true));
  }
  mine.delete(process.pid);
  return [...mine];
}

/** CPU ms of every thread of Chromium's renderer processes, by \`pid/tid name\` (the engine worker is a DedicatedWorker thread). */
function threadCpu() {
  const out = new Map();
  for (const pid of descendants()) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes('--type=renderer')) continue;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        out.set(`${pid}/${tid} ${name}`, ((Number(f[11]) + Number(f[12])) * 1000) / 100);
      } catch {
        // gone
      }
    }
  }
  return out;
}

async function oneLoad(context, origin) {
  const page = await context.newPage();
  await context.route('**/__split/archive.zip', (r) => r.fulfill({ body: bytes, contentType: 'application/zip' }));
  await page.goto(origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  const cpu = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'ProcessTime').value * 1000;
  };
  // The archive's bytes in the page before the clock starts (as a file input hands them over).
  await page.evaluate(async () => {
    window.__splitBytes = new Uint8Array(await (await fetch('./__split/archive.zip')).arrayBuffer());
  });
  const c0 = await cpu();
  const th0 = threadCpu();
  // A thread's CPU is seen while it lives: its last reading is kept.
  const seen = new Map(th0);
  const poll = setInterval(() => {
    for (const [k, v] of threadCpu()) seen.set(k, v);
  }, 100);
  const r = await page.evaluate(
    async ({ name }) => {
      const t0 = performance.now();
      const report = await window.__otpscopeEngine.load([{ name, bytes: window.__splitBytes }], undefined, { background: true });
      return { wall: performance.now() - t0, events: report.events, errors: report.errors, timings: { ...report.timings, steps: report.timings.steps } };
    },
    { name: path.basename(file) },
  );
  const c1 = await cpu();
  clearInterval(poll);
  for (const [k, v] of threadCpu()) seen.set(k, v);
  const th1 = seen;
  await page.close();
  const threads = [...th1]
    .map(([k, v]) => [k, v - (th0.get(k) ?? 0)])
    .filter(([, v]) => v >= 200)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k.split(' ').slice(1).join(' ')} ${v.toFixed(0)}`);
  const t = r.timings;
  return {
    wall: r.wall,
    cpu: c1 - c0,
    events: r.events,
    errors: r.errors,
    readMs: t.readMs,
    insertMs: t.insertMs,
    analyseMs: t.analyseMs,
    threads,
    steps: t.steps.map((s) => `${s.sql.slice(0, 40)} ${s.ms.toFixed(0)}`),
  };
}

const out = new Map();
const run = async (site) =>
  withChromium(async ({ site: s, context }) => {
    const r = await oneLoad(context, s.origin);
    const name = site ?? 'dist';
    if (!out.has(name)) out.set(name, []);
    out.get(name).push(r);
    console.log(
      `${name}: to the Overview ${r.wall.toFixed(0)} ms wall, renderer CPU ${r.cpu.toFixed(0)} ms; read ${r.readMs.toFixed(0)}, insert ${r.insertMs.toFixed(0)}, first view SQL ${r.analyseMs.toFixed(0)} ms; ${r.events} events; threads' CPU ${r.threads.join(', ')}${r.errors.length ? ` ERRORS ${JSON.stringify(r.errors)}` : ''}`,
    );
  }, site);
for (let i = 0; i < runs; i++) for (const site of sites.length ? sites : [undefined]) await run(site);
for (const [name, rs] of out) {
  const m = (k) => median(rs.map((r) => r[k])).toFixed(0);
  console.log(
    `${name} (median of ${rs.length}): wall ${m('wall')} ms, CPU ${m('cpu')} ms, read ${m('readMs')}, insert ${m('insertMs')}, first view SQL ${m('analyseMs')}`,
  );
  console.log(`  steps of the last run: ${rs.at(-1).steps.join('; ')}`);
}
