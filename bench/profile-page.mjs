// `node bench/profile-page.mjs [ARCHIVE] [--runs N] [--site DIR] [--top N] [--trace OUT.json]`: where the page's main
// thread spends a small load (the demo archive by default) in the built app, from the file input to the Overview
// usable, the file given once the engine's warm-up is done (as bench/browser/startup.mjs's "after the warm-up").
// Chromium's trace of the renderer's main thread (devtools.timeline, with V8's sampling profiler) is summed per
// event kind (script, style, layout, paint…) and per JavaScript function (self time), and the main thread's tasks
// are listed with their start from the file input, so that what runs before the first paint of the Overview shows.
// bench/profile-chromium.mjs does the same for the engine's worker.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { withChromium } from './browser/ui-load.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : args[i + 1];
};
const file =
  args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? path.resolve(import.meta.dirname, '../test/fixtures/archives/demo.zip');
const runs = Number(opt('--runs', 1));
const top = Number(opt('--top', 25));
const site = opt('--site', undefined);
const traceOut = opt('--trace', undefined);

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'v8.execute',
  'disabled-by-default-v8.cpu_profiler',
  'blink.user_timing',
].join(',');

/**
 * Self thread time (µs, the CPU the thread used: wall time on a loaded machine is mostly waiting for a core) of each
 * kind of complete event on `tid` between `t0` and `t1`, nested by time; and the top-level tasks.
 */
function summarise(events, tid, t0, t1) {
  const mine = events.filter((e) => e.tid === tid && e.ph === 'X' && e.ts >= t0 && e.ts <= t1).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = new Map();
  const stack = [];
  const tasks = [];
  for (const e of mine) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - (e.tdur ?? 0));
    else tasks.push(e);
    self.set(e.name, (self.get(e.name) ?? 0) + (e.tdur ?? 0));
    stack.push(e);
  }
  return { self, tasks };
}

/** JavaScript self time per function from the trace's sampled profile (ProfileChunk events) on `tid`. */
function jsSelf(events, pid, tid, t0, t1) {
  const nodes = new Map();
  const samples = [];
  let ts = null;
  for (const e of events) {
    if (e.name !== 'ProfileChunk' || e.pid !== pid) continue;
    const d = e.args?.data;
    for (const n of d?.cpuProfile?.nodes ?? []) nodes.set(`${e.id}:${n.id}`, n);
    const s = d?.cpuProfile?.samples ?? [];
    const deltas = d?.timeDeltas ?? [];
    for (let i = 0; i < s.length; i++) {
      ts = (ts ?? 0) + deltas[i];
      samples.push({ id: `${e.id}:${s[i]}`, ts, profile: e.id });
    }
  }
  // The profile's clock starts at its Profile event's startTime.
  const start = events.find((e) => e.name === 'Profile' && e.pid === pid && e.tid === tid);
  if (!start) return new Map();
  const base = start.args.data.startTime;
  const mineSamples = samples.filter((s) => s.profile === start.id).map((s) => ({ ...s, ts: s.ts + base }));
  const out = new Map();
  for (let i = 0; i + 1 < mineSamples.length; i++) {
    const s = mineSamples[i];
    if (s.ts < t0 || s.ts > t1) continue;
    const n = nodes.get(s.id);
    if (!n) continue;
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${(cf.url ?? '').replace(/^.*\//, '')}:${cf.lineNumber + 1}:${cf.columnNumber + 1}`;
    out.set(key, (out.get(key) ?? 0) + (mineSamples[i + 1].ts - s.ts));
  }
  return out;
}

await withChromium(async ({ site, context }) => {
  for (let r = 0; r < runs; r++) {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await page.goto(site.origin + '/');
    await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
    await page.evaluate(async () => {
      const bytes = new Uint8Array(await (await fetch('./demo/demo.zip')).arrayBuffer());
      return window.__otpscopeEngine.warmUp([{ name: 'demo.zip', bytes }]).catch(() => null);
    });
    await page.waitForTimeout(500);
    const events = [];
    cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
    const done = new Promise((res) => cdp.once('Tracing.tracingComplete', res));
    await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReportEvents' });
    await page.evaluate(() => performance.mark('profile-page:start'));
    await page.getByTestId('file-input').setInputFiles(file);
    const usable = await page
      .waitForFunction(
        () =>
          document.querySelector('.app.loaded [data-testid=sources] .chip') !== null &&
          !document.querySelector('[data-testid=load-panel]') &&
          document.querySelector('[data-testid=count-processes]') !== null &&
          performance.now() - performance.getEntriesByName('profile-page:start')[0].startTime,
        null,
        { timeout: 120_000, polling: 'raf' },
      )
      .then((h) => h.jsonValue());
    await page.evaluate(() => performance.mark('profile-page:usable'));
    await page.waitForTimeout(100);
    await cdp.send('Tracing.end');
    await done;
    if (traceOut) writeFileSync(traceOut.replace(/(\.json)?$/, `-${r}.json`), JSON.stringify({ traceEvents: events }));
    const mark = (name) => events.find((e) => e.name === name && e.ph === 'R') ?? events.find((e) => e.name === name);
    const m0 = mark('profile-page:start');
    const m1 = mark('profile-page:usable');
    const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && e.pid === m0.pid);
    const { self, tasks } = summarise(events, main.tid, m0.ts, m1.ts);
    const js = jsSelf(events, main.pid, main.tid, m0.ts, m1.ts);
    const cpu = tasks.reduce((a, t) => a + (t.tdur ?? 0), 0) / 1000;
    console.log(`\nrun ${r + 1}: file input → Overview usable ${usable.toFixed(0)} ms; main thread CPU ${cpu.toFixed(1)} ms in ${tasks.length} tasks`);
    console.log('  tasks of 5 ms of CPU or more (start from the file input, wall, CPU):');
    for (const t of tasks.filter((t) => (t.tdur ?? 0) >= 5000))
      console.log(
        `    ${((t.ts - m0.ts) / 1000).toFixed(0).padStart(6)} ms  ${(t.dur / 1000).toFixed(1).padStart(6)} ms  ${(t.tdur / 1000).toFixed(1).padStart(6)} ms`,
      );
    console.log('  self CPU by event kind:');
    for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(`    ${(us / 1000).toFixed(1).padStart(7)} ms  ${name}`);
    console.log('  JavaScript self time by function (sampled: on a loaded machine it counts time spent waiting for a core too):');
    for (const [name, us] of [...js].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`    ${(us / 1000).toFixed(1).padStart(7)} ms  ${name}`);
    await page.close();
  }
}, site);
