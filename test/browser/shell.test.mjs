import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { startSite, openBrowser, blockOtherOrigins, screenshotDir } from './harness.mjs';

let site, browser, context, outside;

before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser());
  outside = await blockOtherOrigins(context, site.origin);
  await mkdir(screenshotDir, { recursive: true });
});
after(async () => {
  await browser?.close();
  await site?.close();
});

test('the shell renders its drop zone and file picker', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('drop-zone').waitFor();
  assert.match(await page.getByTestId('drop-zone').innerText(), /Drop an otpscope archive/);
  assert.equal(await page.getByTestId('file-input').count(), 1);
  await page.close();
});

test('the engine worker reports a DuckDB version from inside the worker', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  const status = page.getByTestId('engine-status');
  await status.filter({ hasText: /DuckDB v\d+\.\d+\.\d+ ready/ }).waitFor({ timeout: 60_000 });
  assert.ok(page.workers().length >= 1, 'the engine runs in a worker');
  await page.screenshot({ path: `${screenshotDir}/shell.png` });
  await page.close();
});

test('the page issues zero requests outside its own origin', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(500);
  assert.deepEqual(outside, []);
  await page.close();
});

test('after one visit the app works offline: the service worker precached the app, the worker and the DuckDB wasm', async () => {
  const { browser: b2, context: ctx } = await openBrowser({ serviceWorkers: 'allow' });
  try {
    const page = await ctx.newPage();
    await page.goto(site.origin + '/');
    await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      // Precaching happens during install; `ready` resolves once the worker is active.
      return reg.active?.state;
    });
    await ctx.setOffline(true);
    await page.reload();
    await page
      .getByTestId('engine-status')
      .filter({ hasText: /DuckDB v\d+\.\d+\.\d+ ready/ })
      .waitFor({ timeout: 60_000 });
    // The renderer learns of the offline switch asynchronously (reading navigator.onLine right away was flaky on a
    // busy machine): wait for it, then prove the network is really gone with a request no cache can answer.
    await page.waitForFunction(() => navigator.onLine === false, null, { timeout: 60_000 });
    const uncached = await page.evaluate(() =>
      fetch(`/not-precached-${Date.now()}.txt`).then(
        (r) => `answered ${r.status}`,
        () => 'failed',
      ),
    );
    assert.equal(uncached, 'failed');
  } finally {
    await b2.close();
  }
});

test('the process tree and the detail pane resize by drag or keys, and keep their width across visits', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/?demo');
  await page.getByTestId('process-row').first().waitFor({ timeout: 60_000 });
  const width = (id) => page.getByTestId(id).evaluate((el) => Math.round(el.getBoundingClientRect().width));
  // The detail pane is folded while it has nothing to show: select a process to open it.
  await page.getByTestId('process-row').first().click();
  await page.getByTestId('detail-splitter').waitFor();
  const before = await width('sidebar');
  const handle = await page.getByTestId('sidebar-splitter').boundingBox();
  await page.mouse.move(handle.x + handle.width / 2, handle.y + 200);
  await page.mouse.down();
  await page.mouse.move(handle.x + 150, handle.y + 200, { steps: 5 });
  await page.mouse.up();
  const dragged = await width('sidebar');
  assert.ok(Math.abs(dragged - (before + 150)) <= 4, `dragged ${before} -> ${dragged}`);
  // Keys on the detail pane's handle: the left arrow moves its edge left, widening it.
  const detail = await width('detailpane');
  await page.getByTestId('detail-splitter').focus();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await width('detailpane'), detail + 32);
  // A new visit keeps both widths; a double click gives the default back.
  await page.reload();
  await page.getByTestId('process-row').first().waitFor({ timeout: 60_000 });
  await page.getByTestId('detail-splitter').waitFor(); // the URL kept the selected process
  assert.equal(await width('sidebar'), dragged);
  assert.equal(await width('detailpane'), detail + 32);
  await page.getByTestId('sidebar-splitter').dblclick();
  assert.equal(await width('sidebar'), before);
  await page.close();
});
