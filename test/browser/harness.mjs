// Shared set-up for browser tests: the built site (dist/) served on localhost,
// Debian's Chromium driven by playwright-core, and every request to another
// origin failed and recorded, so a test can prove the app never leaves its origin.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.zip': 'application/zip',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
};

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Serves a built site (dist/ unless `siteRoot` names another build) on a free localhost port. */
export async function startSite(siteRoot = root) {
  await stat(path.join(siteRoot, 'index.html')).catch(() => {
    throw new Error(`${siteRoot}/index.html missing: run \`npx vite build\` first`);
  });
  // Sent as a header too, as `otpscope serve` does: the page's <meta> policy does not reach the worker.
  const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(await readFile(path.join(siteRoot, 'index.html'), 'utf8'))?.[1];
  if (!csp) throw new Error(`${siteRoot}/index.html has no Content-Security-Policy meta tag`);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let file = path.join(siteRoot, decodeURIComponent(url.pathname));
    if ((await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'index.html');
    const body = await readFile(file).catch(() => null);
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-security-policy': csp }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, close: () => new Promise((r) => server.close(r)) };
}

export async function openBrowser({ colorScheme = 'light', viewport = { width: 1280, height: 800 }, serviceWorkers = 'block' } = {}) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ colorScheme, viewport, serviceWorkers });
  return { browser, context };
}

/**
 * Fails every request that leaves `origin` and returns the list of such URLs. Requests to `letThrough`
 * origins go on unrecorded (a canary server that must itself count zero hits).
 */
export async function blockOtherOrigins(context, origin, letThrough = []) {
  const outside = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    if (letThrough.some((o) => url.startsWith(o))) return route.continue();
    outside.push(url);
    return route.abort('blockedbyclient');
  });
  return outside;
}

/**
 * Records every request that leaves `origin`, without routing: Playwright's routing turns off the browser's
 * caches, the code caches of scripts and wasm among them, so a page measured under it never starts as a
 * returning user's does. Pair it with NO_OTHER_HOSTS in the browser's arguments, which keeps such a request
 * from reaching another host.
 */
export function watchOtherOrigins(context, origin) {
  const outside = [];
  context.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) outside.push(url);
  });
  return outside;
}

/** Chromium's argument that leaves every host but 127.0.0.1 unresolved (for watchOtherOrigins). */
export const NO_OTHER_HOSTS = '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1';

export const fixture = (name) => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures', name);
export const screenshotDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-results');

/**
 * Resolves once the page has rendered two frames since the call: layout that the app adjusts from a
 * ResizeObserver (the tab strip's overflow, chart sizes) has been measured and applied. A DOM change that a
 * test just waited for can be seen before that frame runs, on a busy machine especially.
 */
export const settled = (page) => page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));

/**
 * Opens a view by its tab: in the strip, or in the "More" menu when the window is too narrow for every tab
 * (src/ui/components/TabStrip.svelte).
 */
export async function openPanel(page, panel) {
  const tab = page.getByTestId(`tab-${panel}`);
  await page.getByTestId('tabs').waitFor({ timeout: 120_000 });
  if (!(await tab.isVisible())) await page.getByTestId('tabs-more').click();
  await tab.click();
  await page.getByTestId(`panel-${panel}`).waitFor();
}

/** A new browser on the served site with `file` (a path) loaded through the welcome page's file input. */
export async function openLoaded(site, file, viewport = { width: 1440, height: 900 }) {
  const { browser, context } = await openBrowser({ viewport });
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  await page.getByTestId('file-input').setInputFiles(file);
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  return { browser, context, page };
}
