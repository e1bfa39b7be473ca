// GitHub Pages serves a project site under a sub-path (https://OWNER.github.io/otpscope/). Here the built site is
// served under /otpscope/ only (anything else is a recorded 404): open it, load the demo, go offline, reload, load
// the demo again. No request may go outside the sub-path or the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBrowser, blockOtherOrigins } from './harness.mjs';
import { cutNetwork, readyWithServiceWorker } from './offline-helpers.mjs';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
const PREFIX = '/otpscope/';
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.svg': 'image/svg+xml' };
TYPES['.webmanifest'] = 'application/manifest+json';
let server, origin, browser, context;
const strays = [];

before(async () => {
  const csp = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(await readFile(path.join(dist, 'index.html'), 'utf8'))?.[1];
  assert.ok(csp, 'dist/index.html has its policy: run `npx vite build` first');
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith(PREFIX)) {
      strays.push(url.pathname);
      return res.writeHead(404).end();
    }
    let file = path.join(dist, decodeURIComponent(url.pathname.slice(PREFIX.length)));
    if (!file.startsWith(dist)) return res.writeHead(403).end();
    if ((await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'index.html');
    const body = await readFile(file).catch(() => null);
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-security-policy': csp }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;
  ({ browser, context } = await openBrowser({ serviceWorkers: 'allow' }));
});
after(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

test('under a sub-path: open, load the demo, go offline, reload, load the demo again', async () => {
  const outside = await blockOtherOrigins(context, origin);
  const page = await context.newPage();
  await page.goto(origin + PREFIX);
  await readyWithServiceWorker(page);
  assert.equal(await page.evaluate(async () => (await navigator.serviceWorker.ready).scope), origin + PREFIX);
  const openDemo = async () => {
    await page.getByTestId('open-demo').click();
    await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
    assert.match(await page.getByTestId('sources').innerText(), /demo\.zip/);
  };
  await openDemo();
  await cutNetwork(context, page);
  await page.goto(origin + PREFIX);
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  await openDemo();
  // The manifest and the service worker are the sub-path's own.
  const manifest = await page.evaluate(async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json());
  assert.deepEqual([manifest.start_url, manifest.scope], ['./', './']);
  assert.deepEqual(strays, [], 'requests outside the sub-path');
  assert.deepEqual(outside, []);
  await context.setOffline(false);
  await page.close();
});
