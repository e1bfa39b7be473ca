// The installed app: the manifest declares file handlers, files the app is opened with arrive through
// window.launchQueue and load; a new version is announced and waits for the user's click, never reloading
// under a loaded trace on its own. Nothing leaves the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBrowser, blockOtherOrigins, fixture, screenshotDir } from './harness.mjs';
import { loadThroughPicker, readyWithServiceWorker } from './offline-helpers.mjs';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.svg': 'image/svg+xml' };
TYPES['.webmanifest'] = 'application/manifest+json';
let server, origin, browser, context, outside;
/** The site "deployed" next: the same files with a changed sw.js, as a new build would have. */
let nextVersion = false;

before(async () => {
  const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(await readFile(path.join(dist, 'index.html'), 'utf8'))?.[1];
  assert.ok(csp, 'dist/index.html has its policy: run `npx vite build` first');
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let file = path.join(dist, decodeURIComponent(url.pathname));
    if (!file.startsWith(dist)) return res.writeHead(403).end();
    if ((await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'index.html');
    let body = await readFile(file).catch(() => null);
    if (!body) return res.writeHead(404).end();
    if (nextVersion && url.pathname === '/sw.js') body = Buffer.concat([body, Buffer.from('\n// the next version\n')]);
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-security-policy': csp }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;
  ({ browser, context } = await openBrowser({ serviceWorkers: 'allow' }));
  outside = await blockOtherOrigins(context, origin);
});
after(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

test('the manifest declares file handlers; a file handed to launchQueue loads', async () => {
  const page = await context.newPage();
  // The OS launch itself cannot be driven from a test: keep the consumer the app gives launchQueue, then hand it
  // what the browser hands it, launch params holding a real FileSystemFileHandle (a file in the origin's private
  // file system holding the fixture's bytes).
  await page.addInitScript(() => {
    const q = window.launchQueue ?? (window.launchQueue = { setConsumer() {} });
    const set = q.setConsumer.bind(q);
    q.setConsumer = (consumer) => {
      window.__launchConsumer = consumer;
      set(consumer);
    };
  });
  await page.goto(origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  assert.equal(await page.locator('link[rel=manifest]').count(), 1, 'one manifest link (the PWA plugin adds it; index.html must not)');
  const manifest = await page.evaluate(async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json());
  assert.deepEqual(manifest.file_handlers, [{ action: './', accept: { 'application/zip': ['.zip'], 'application/octet-stream': ['.trace', '.ti'] } }]);
  const bytes = [...(await readFile(fixture('archives/crash.zip')))];
  await page.evaluate(async (bytes) => {
    const dir = await navigator.storage.getDirectory();
    const handle = await dir.getFileHandle('crash.zip', { create: true });
    const w = await handle.createWritable();
    await w.write(new Uint8Array(bytes));
    await w.close();
    await window.__launchConsumer({ files: [handle] });
  }, bytes);
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  assert.match(await page.getByTestId('sources').innerText(), /crash\.zip/);
  assert.deepEqual(outside, []);
  await page.close();
});

test('a new version waits for the user: a prompt, no reload under the loaded trace, and Reload activates it', async () => {
  const page = await context.newPage();
  await page.goto(origin + '/');
  await readyWithServiceWorker(page);
  // The installed app's page is controlled by the version it runs. A page that navigated while the first version
  // was still installing (the previous test's visit installs it; on a loaded machine its 27 MB precache can take
  // longer than that test) is not, and nothing then holds a new version waiting: it activates as soon as the old one
  // is idle. The user's next visit is controlled; so is this page after a reload.
  if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) {
    await page.reload();
    await readyWithServiceWorker(page);
  }
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller !== null), true, 'the page is controlled by the installed version');
  await loadThroughPicker(page, fixture('archives/crash.zip'));
  await page.evaluate(() => (window.__sameDocument = true));
  nextVersion = true;
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  await page.getByTestId('update-prompt').waitFor({ timeout: 120_000 });
  assert.match(await page.getByTestId('update-prompt').innerText(), /new version.*Reloading closes crash\.zip/s);
  await page.screenshot({ path: `${screenshotDir}/update-prompt.png` });
  // The new version is installed and waiting, and the page is the same document with its trace.
  assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).waiting?.state), 'installed');
  assert.equal(await page.evaluate(() => window.__sameDocument), true);
  assert.match(await page.getByTestId('sources').innerText(), /crash\.zip/);
  await Promise.all([page.waitForEvent('load', { timeout: 120_000 }), page.getByTestId('update-reload').click()]);
  assert.equal(await page.evaluate(() => window.__sameDocument), undefined, 'reloaded on the click');
  const reg = await page.evaluate(async () => {
    const r = await navigator.serviceWorker.getRegistration();
    return { waiting: r.waiting, active: r.active?.state, controlled: navigator.serviceWorker.controller !== null };
  });
  assert.deepEqual(reg, { waiting: null, active: 'activated', controlled: true });
  assert.deepEqual(outside, []);
  await page.close();
});
