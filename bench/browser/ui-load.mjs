// The real app in headless Chromium: built dist/ served on localhost (the
// browser tests' harness), an archive given to the page's file input, timed
// until the UI shows its load report. One fresh page per run, so every run
// starts a fresh worker and DuckDB. Also reads the page's memory and, when the
// timeline has landed, frame times while panning and zooming.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSite, openBrowser, blockOtherOrigins, CHROMIUM_ARGS } from '../../test/browser/harness.mjs';

/**
 * Runs `fn` with Chromium and the built site served (dist/, or the build at `siteRoot`); `profile`: in a fresh
 * profile on disk (removed after), whose storage (OPFS) is on disk as in a user's browser, not in memory.
 */
export async function withChromium(fn, siteRoot, { profile = false } = {}) {
  const site = await startSite(siteRoot);
  const dir = profile ? await mkdtemp(path.join(tmpdir(), 'otpscope-bench-profile-')) : null;
  const { browser, context } = dir ? await openProfile(dir) : await openBrowser({ viewport: { width: 1400, height: 900 } });
  await blockOtherOrigins(context, site.origin);
  try {
    return await fn({ site, browser, context });
  } finally {
    await (browser ?? context).close().catch(() => {});
    await site.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function openProfile(dir) {
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
    serviceWorkers: 'block',
  });
  return { browser: null, context };
}

async function readyPage(context, origin, search = '') {
  const page = await context.newPage();
  await page.goto(origin + '/' + search);
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  return page;
}

/**
 * Loads `file` through the file input; returns wall ms from input to the Overview usable (`usableMs`: the
 * file listed as a loaded source, no load in flight, the Overview's first part shown) and to every analysis
 * table ready (`wallMs`: the app says so on `.app[data-tables=ready]`; an app without that attribute built
 * every table before it showed the views, so both are the same), the engine's own ms, events, and memory;
 * with `lanes`, for a page opened on the Timeline (`search` '#p=timeline'), to its first lanes drawn (`lanesMs`).
 */
export async function uiLoad(context, origin, file, { timeoutMs = 600_000, keepPage = false, search = '', lanes = false } = {}) {
  const page = await readyPage(context, origin, search);
  let crashed = false;
  page.on('crash', () => (crashed = true));
  const cdp = await context.newCDPSession(page);
  const t0 = Date.now();
  await page.getByTestId('file-input').setInputFiles(file);
  // `lanes` (a page opened on the Timeline): ms to the first tile of the lanes drawn, marks alone or whole.
  const lanesAt = lanes
    ? page
        .waitForFunction(() => (window.__otpscopeTimeline?.tile()?.marks ?? 0) > 0, null, { timeout: timeoutMs, polling: 'raf' })
        .then(() => Date.now() - t0)
        .catch(() => null)
    : Promise.resolve(null);
  const until = (stage) =>
    page
      .waitForFunction(
        ({ stage, lanes }) => {
          const q = (s) => document.querySelector(s);
          if (q('[data-testid="load-error"]') || q('[data-testid="error"]')) return 'error';
          if (q('[data-testid="load-report"]')) return 'report';
          const shown = q('.app.loaded') && q('[data-testid="sources"] .chip') && !q('[data-testid="cancel-load"]');
          if (!shown) return false;
          // On the Timeline (no Overview shown) usable is the load done, its first view in.
          if (stage === 'usable') return lanes || q('[data-testid="count-processes"]') ? 'report' : false;
          const tables = q('.app')?.dataset.tables;
          return tables === undefined || tables === 'ready' ? 'report' : false;
        },
        { stage, lanes },
        { timeout: timeoutMs, polling: 'raf' },
      )
      .then((h) => h.jsonValue())
      .catch((e) => (crashed ? 'crash' : `timeout: ${String(e.message).split('\n')[0]}`));
  // Done: the app shows the file as a loaded source and no load is in flight (older shells showed a load
  // report), then every table is ready; or it shows a load error.
  const first = await until('usable');
  const usableMs = Date.now() - t0;
  const outcome = first === 'report' ? await until('all') : first;
  const wallMs = Date.now() - t0;
  let text = '';
  let errorText = '';
  if (outcome === 'report') {
    text = await page.evaluate(() => {
      const r = document.querySelector('[data-testid="load-report"]');
      if (r) return r.textContent;
      return [...document.querySelectorAll('[data-testid="sources"] .chip')].map((c) => c.getAttribute('title')).join(' ');
    });
  }
  if (outcome === 'error')
    errorText = await page.evaluate(
      () => (document.querySelector('[data-testid="load-error"]') ?? document.querySelector('[data-testid="error"]'))?.textContent ?? '',
    );
  const m = /Loaded ([\d,.\s]+) events .* in (\d+) ms/.exec(text.replace(/\u202f|\u00a0/g, '')) ?? /([\d,.\u202f\u00a0]+) events/.exec(text);
  const memory = crashed ? null : await pageMemory(page, cdp).catch(() => null);
  // Where the page kept the tables (memory, or a database file on disk), as its status line says.
  const storage = crashed
    ? null
    : await page
        .evaluate(
          () =>
            document
              .querySelector('[data-testid="storage"]')
              ?.getAttribute('title')
              ?.replace(/^Tables /, 'tables ') ?? null,
        )
        .catch(() => null);
  const result = {
    outcome,
    usableMs: first === 'report' ? usableMs : null,
    lanesMs: outcome === 'report' ? await lanesAt : null,
    wallMs,
    engineMs: m && m[2] ? Number(m[2]) : null,
    events: m ? Number(m[1].replace(/[^\d]/g, '')) : null,
    errorText,
    memory,
    storage,
  };
  if (keepPage && !crashed) return { ...result, page };
  await page.close().catch(() => {});
  return result;
}

/**
 * JS heap of the page and its worker(s) (CDP Runtime.getHeapUsage per target)
 * and the largest WebAssembly memory seen by the worker's heap (not directly
 * visible: reported as the process's private memory when available).
 */
async function pageMemory(page, cdp) {
  const main = await cdp.send('Runtime.getHeapUsage');
  let workerHeap = 0;
  for (const w of page.workers()) {
    const used = await w.evaluate(() => (globalThis.performance && performance.memory ? performance.memory.usedJSHeapSize : null)).catch(() => null);
    if (typeof used === 'number') workerHeap += used;
  }
  const wasm = await Promise.all(page.workers().map((w) => w.evaluate(() => globalThis.__otpscopeWasmBytes ?? null).catch(() => null)));
  let processPrivate = null;
  try {
    const info = await cdp.send('SystemInfo.getProcessInfo');
    processPrivate = info.processInfo.reduce((n, p) => n + (p.privateMemoryBytes ?? 0), 0) || null;
  } catch {
    /* not exposed to page sessions */
  }
  return { mainHeapUsed: main.usedSize, workerHeapUsed: workerHeap || null, wasmBytes: wasm.find((x) => typeof x === 'number') ?? null, processPrivate };
}

/**
 * Pans and zooms the timeline (when it exists) and returns the frame times the
 * timeline records in `window.__otpscopeFrameTimes`.
 */
export async function timelineFrames(page, { steps = 60 } = {}) {
  const tab = page
    .getByRole('tab', { name: /timeline/i })
    .or(page.getByRole('button', { name: /^timeline$/i }))
    .first();
  if ((await tab.count()) > 0) await tab.click();
  const canvas = page.getByTestId('timeline-canvas');
  try {
    await canvas.waitFor({ timeout: 15_000 });
  } catch {
    return { notBuilt: 'timeline-canvas' };
  }
  if (!(await page.evaluate(() => Array.isArray(window.__otpscopeFrameTimes)))) return { notBuilt: 'window.__otpscopeFrameTimes' };
  await page.evaluate(() => (window.__otpscopeFrameTimes.length = 0));
  const box = await canvas.boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + Math.min(box.height / 2, 200);
  await page.mouse.move(cx, cy);
  for (let i = 0; i < steps; i++) {
    // zoom in for a third, pan for a third, zoom out for a third
    if (i < steps / 3) await page.mouse.wheel(0, -120);
    else if (i < (2 * steps) / 3) {
      await page.mouse.down();
      await page.mouse.move(cx - 40, cy, { steps: 4 });
      await page.mouse.up();
      await page.mouse.move(cx, cy);
    } else await page.mouse.wheel(0, 240);
    await page.waitForTimeout(16);
  }
  await page.waitForTimeout(300);
  const frames = await page.evaluate(() => window.__otpscopeFrameTimes.slice());
  return { frames };
}
