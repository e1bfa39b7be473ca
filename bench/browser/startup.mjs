// Start-up of the real app in headless Chromium (the built dist/ on localhost):
// from navigation to "DuckDB … ready" on a first visit (cold: empty HTTP cache,
// no service worker, no compiled-wasm cache) and on a later visit in the same
// profile (warm: the service worker's precache and the browser's cache of the
// compiled wasm), the bundled demo usable after a warm start (its processes
// listed and the Overview summarised), and a small archive given to the file
// input once the engine is ready. Times are the page's own clock
// (performance.now() from navigation start), read when the condition holds.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSite, watchOtherOrigins, CHROMIUM_ARGS, NO_OTHER_HOSTS } from '../../test/browser/harness.mjs';

const READY = () => /ready/.test(document.querySelector('[data-testid=engine-status]')?.textContent ?? '') && performance.now();
const DEMO_USABLE = () =>
  document.querySelector('[data-testid=process-row]') !== null &&
  /Processes|events/i.test(document.querySelector('[data-testid=overview]')?.textContent ?? '') &&
  !/Summarizing/.test(document.querySelector('[data-testid=overview]')?.textContent ?? '') &&
  performance.now();
// Every analysis table built (apps without `data-tables` built them all before showing the views).
const ALL_TABLES = () => {
  const app = document.querySelector('.app.loaded');
  return app !== null && (app.dataset.tables === undefined || app.dataset.tables === 'ready') && performance.now();
};

// The warm start's phases, from the performance marks the page and the engine worker leave (src/ui/main.ts,
// src/ui/lib/engine-bridge.ts, session.svelte.ts; src/engine/duckdb/): each phase ends at its mark, times in ms
// from navigation (the worker's marks moved onto the page's clock through both time origins).
export const PHASES = [
  ['main bundle run', 'page', 'otpscope:main'],
  ['worker created', 'page', 'otpscope:worker-new'],
  ['worker running', 'worker', 'otpscope:worker-boot'],
  ['engine JavaScript loaded', 'worker', 'otpscope:worker-modules'],
  ['wasm compiled', 'worker', 'otpscope:compiled'],
  ['wasm instantiated', 'worker', 'otpscope:instantiated'],
  ['Emscripten runtime ready', 'worker', 'otpscope:runtime'],
  ['DuckDB open', 'worker', 'otpscope:db-open'],
  ['startup SQL run', 'worker', 'otpscope:startup-sql'],
  ['engine answered (Engine.create)', 'page', 'otpscope:version'],
];

async function phases(page) {
  const marks = () => ({ origin: performance.timeOrigin, marks: Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])) });
  const p = await page.evaluate(marks);
  const worker = page.workers().find((w) => /worker/.test(w.url()));
  const w = worker ? await worker.evaluate(marks) : { origin: p.origin, marks: {} };
  return Object.fromEntries(PHASES.map(([name, where, mark]) => [name, where === 'page' ? p.marks[mark] : w.marks[mark] + (w.origin - p.origin)]));
}

/** CPU seconds so far of the page's renderer process (its main thread and the engine worker) and of its main thread. */
async function cpu(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return { process: m.ProcessTime, main: m.ThreadTime };
}

async function pageTime(page, fn) {
  return (await page.waitForFunction(fn, null, { timeout: 300_000, polling: 'raf' })).jsonValue();
}

/** The least time between ready and the file in the bench's idle case (ms). */
const IDLE_MS = 2000;

/** Gives the small archive to the welcome page's file input: ms to the Overview usable and to every table, and the renderer's CPU to usable. */
async function loadSmall(page, cdp, smallArchive) {
  const cpuBefore = await cpu(cdp);
  await page.getByTestId('file-input').setInputFiles(smallArchive);
  const t = await page.evaluate(() => performance.now());
  const loaded = await pageTime(
    page,
    () =>
      document.querySelector('.app.loaded [data-testid=sources] .chip') !== null &&
      !document.querySelector('[data-testid=load-panel]') &&
      document.querySelector('[data-testid=count-processes]') !== null &&
      performance.now(),
  );
  const cpuLoaded = await cpu(cdp);
  const allTables = await pageTime(page, ALL_TABLES);
  return { ms: loaded - t, allMs: allTables - t, cpu: { process: cpuLoaded.process - cpuBefore.process, main: cpuLoaded.main - cpuBefore.main } };
}

/** A new page of the site, at engine ready: the page, its CDP session (renderer CPU), the time and the CPU so far. */
async function visit(context, origin) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  await page.goto(origin + '/');
  const ready = await pageTime(page, READY);
  return { page, cdp, ready, readyCpu: await cpu(cdp) };
}

/** One profile (a user data dir): `visits` navigations in a row, the first cold. */
async function profile(origin, visits, smallArchive) {
  const dir = await mkdtemp(path.join(tmpdir(), 'otpscope-startup-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, NO_OTHER_HOSTS],
    viewport: { width: 1400, height: 900 },
    serviceWorkers: 'allow',
  });
  try {
    // Watched, not routed: routing would turn off the code caches a returning user's visit starts from.
    const outside = watchOtherOrigins(context, origin);
    const out = { cold: null, warm: [], phases: [], demo: [], small: [], smallAll: [], warmCpu: [], smallCpu: [], idle: [] };
    for (let i = 0; i < visits; i++) {
      const { page, cdp, ready, readyCpu } = await visit(context, origin);
      if (i === 0) {
        out.cold = ready;
        // Let the service worker finish precaching before the warm visits.
        await page.evaluate(() => navigator.serviceWorker?.ready.then(() => true));
        await page.close();
        continue;
      }
      out.warm.push(ready);
      out.warmCpu.push(readyCpu);
      out.phases.push(await phases(page));
      const small = await loadSmall(page, cdp, smallArchive);
      out.small.push(small.ms);
      out.smallAll.push(small.allMs);
      out.smallCpu.push(small.cpu);
      await page.close();
      const demo = await context.newPage();
      await demo.goto(origin + '/?demo');
      const dReady = await pageTime(demo, READY);
      const usable = await pageTime(demo, DEMO_USABLE);
      const all = await pageTime(demo, ALL_TABLES);
      out.demo.push({ ready: dReady, usable, afterReady: usable - dReady, allAfterReady: all - dReady });
      await demo.close();
      // What a user who picks a file from the welcome page sees: the file given once the page is idle (the
      // engine's warm-up, src/engine/warm-up.ts, done; at least IDLE_MS after ready for a build without one).
      const { page: idle, cdp: idleCdp, ready: iReady, readyCpu: iReadyCpu } = await visit(context, origin);
      // The page starts the warm-up with the bundled demo on the user's first sign of a load; this call stands for
      // that sign and waits for it (null: a build without a warm-up).
      const warmUp = await idle.evaluate(async () => {
        const bytes = new Uint8Array(await (await fetch('./demo/demo.zip')).arrayBuffer());
        return window.__otpscopeEngine.warmUp([{ name: 'demo.zip', bytes }]).catch(() => null);
      });
      await idle.evaluate((until) => new Promise((r) => setTimeout(r, until - performance.now())), iReady + IDLE_MS);
      const iCpu = await cpu(idleCdp);
      const afterIdle = await loadSmall(idle, idleCdp, smallArchive);
      out.idle.push({ ...afterIdle, warmUp, idleCpu: iCpu.process - iReadyCpu.process });
      await idle.close();
    }
    if (outside.length > 0) throw new Error(`requests left ${origin}: ${outside.slice(0, 5).join(' ')}`);
    return out;
  } finally {
    await context.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/** `profiles` fresh profiles, each: one cold visit, then `warmVisits` warm ones (of dist/, or the build at `siteRoot`). */
export async function startupFigures({ profiles, warmVisits, smallArchive, siteRoot }, log) {
  const site = await startSite(siteRoot);
  try {
    const runs = [];
    for (let p = 0; p < profiles; p++) {
      log(`start-up: profile ${p + 1} of ${profiles}`);
      runs.push(await profile(site.origin, 1 + warmVisits, smallArchive));
    }
    return runs;
  } finally {
    await site.close();
  }
}
