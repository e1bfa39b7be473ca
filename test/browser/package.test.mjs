// The airgapped package: `node scripts/package.mjs` (what `npm run package` runs after the build) writes one zip
// and its checksum; unpacked with the system's unzip in a temp folder, its own serve.mjs (Node's standard library
// only) serves it; the analyzer opens, the server is stopped and the network cut, and an archive still loads.
// Nothing leaves the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBrowser, blockOtherOrigins, fixture } from './harness.mjs';
import { assertNetworkGone, loadThroughPicker, readyWithServiceWorker, startNode } from './offline-helpers.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { version } = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8'));
let tmp, browser, context;

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'otpscope-package-'));
  ({ browser, context } = await openBrowser({ serviceWorkers: 'allow' }));
});
after(async () => {
  await browser?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('npm run package: one zip and its checksum; unpacked and served by its own script, it loads an archive offline', async () => {
  execFileSync(process.execPath, [path.join(repo, 'scripts/package.mjs'), tmp], { stdio: 'pipe' });
  const zipName = `otpscope-site-${version}.zip`;
  assert.deepEqual((await readdir(tmp)).sort(), [zipName, `${zipName}.sha256`]);
  const zip = await readFile(path.join(tmp, zipName));
  assert.equal(await readFile(path.join(tmp, `${zipName}.sha256`), 'utf8'), `${createHash('sha256').update(zip).digest('hex')}  ${zipName}\n`);
  execFileSync('sha256sum', ['-c', `${zipName}.sha256`], { cwd: tmp, stdio: 'pipe' });

  const unpacked = path.join(tmp, 'unpacked');
  execFileSync('unzip', ['-q', path.join(tmp, zipName), '-d', unpacked]);
  const top = path.join(unpacked, `otpscope-site-${version}`);
  assert.deepEqual((await readdir(top)).sort(), ['README.txt', 'serve.mjs', 'site']);
  assert.match(await readFile(path.join(top, 'README.txt'), 'utf8'), new RegExp(`node otpscope-site-${version.replace(/\./g, '\\.')}/serve\\.mjs`));

  // The bundled server, started from elsewhere (it finds site/ beside itself), on a free port.
  const server = await startNode([path.join(top, 'serve.mjs'), '--port', '0'], /otpscope analyzer: (http:\/\/127\.0\.0\.1:\d+)\//, tmp);
  const origin = server.match[1];
  try {
    const outside = await blockOtherOrigins(context, origin);
    const escape = await fetch(`${origin}/..%2fserve.mjs`);
    assert.equal(escape.status, 403, 'nothing outside site/ is served');
    const index = await fetch(`${origin}/`);
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);

    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await readyWithServiceWorker(page);
    // Cut the network twice over: the server is gone and the browser is offline.
    await server.stop();
    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
    await page.waitForFunction(() => navigator.onLine === false, null, { timeout: 60_000 });
    await assertNetworkGone(page);
    await loadThroughPicker(page, fixture('archives/crash.zip'));
    assert.match(await page.getByTestId('sources').innerText(), /crash\.zip/);
    assert.deepEqual(outside, []);
    await page.close();
  } finally {
    await context.setOffline(false);
    await server.stop();
  }
});
