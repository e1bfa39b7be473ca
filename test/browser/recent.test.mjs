// Recent archives: what the user opened is kept in this browser (the start page says so), survives a reload,
// reopens with one click, and can be forgotten one by one or all at once; a storage quota too small for an
// archive is reported on the page while the archive stays loaded. Nothing leaves the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openBrowser, blockOtherOrigins, fixture, screenshotDir } from './harness.mjs';
import { loadThroughPicker, keptInBrowser } from './offline-helpers.mjs';

let site, browser, context, outside;

before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser());
  outside = await blockOtherOrigins(context, site.origin);
});
after(async () => {
  await browser?.close();
  await site?.close();
});

async function startPage(page) {
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
}
const items = (page) => page.getByTestId('recent-item').allInnerTexts();

test('opened archives are listed after a reload, reopen with one click, and are forgotten one by one or all', async () => {
  const page = await context.newPage();
  await startPage(page);
  assert.match(await page.getByTestId('recent-note').innerText(), /kept in this browser \(IndexedDB, on this computer only, never uploaded\)/);
  await page.getByTestId('recent-empty').waitFor();
  await loadThroughPicker(page, fixture('archives/crash.zip'));
  await keptInBrowser(page, 'crash.zip');
  await startPage(page);
  await loadThroughPicker(page, fixture('archives/statem.zip'));
  await keptInBrowser(page, 'statem.zip');
  await startPage(page);
  await page.getByTestId('recent-item').nth(1).waitFor();
  const listed = await items(page);
  assert.equal(listed.length, 2);
  assert.match(listed[0], /^statem\.zip\s+9\.7 kB · opened /, 'most recent first, with its size');
  assert.match(listed[1], /^crash\.zip\s+11\.7 kB · opened /);
  await page.screenshot({ path: `${screenshotDir}/recent-archives.png` });

  // One click reopens crash.zip from the browser's storage.
  await page.getByTestId('recent-open').filter({ hasText: 'crash.zip' }).click();
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  assert.match(await page.getByTestId('sources').innerText(), /crash\.zip/);

  // Forget one: gone now and after a reload.
  await startPage(page);
  await page.getByTestId('recent-item').nth(1).waitFor();
  await page.getByRole('button', { name: 'Forget statem.zip' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=recent-item]').length === 1);
  await startPage(page);
  await page.getByTestId('recent-item').first().waitFor();
  assert.deepEqual(
    (await items(page)).map((t) => t.split(/\s/)[0]),
    ['crash.zip'],
  );

  // Forget all.
  await page.getByTestId('recent-forget-all').click();
  await page.getByTestId('recent-empty').waitFor();
  await startPage(page);
  await page.getByTestId('recent-empty').waitFor();

  // Unticking "keep" keeps nothing, and says so.
  await page.getByTestId('recent-keep').uncheck();
  assert.match(await page.getByTestId('recent-note').innerText(), /not kept/);
  await loadThroughPicker(page, fixture('archives/flood.zip'));
  await startPage(page);
  assert.equal(await page.getByTestId('recent-keep').isChecked(), false);
  await page.getByTestId('recent-empty').waitFor();
  await page.getByTestId('recent-keep').check();
  assert.deepEqual(outside, []);
  await page.close();
});

test('a quota too small for the archive is reported on the page; the archive is still loaded', async () => {
  // A fresh profile: the storage the test above used (and emptied) is not this one's.
  const fresh = await browser.newContext();
  const seen = await blockOtherOrigins(fresh, site.origin);
  const page = await fresh.newPage();
  // The quota is set before the page opens its storage.
  const cdp = await fresh.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: site.origin, quotaSize: 4096 });
  await startPage(page);
  assert.equal(await page.getByTestId('recent-keep').isChecked(), true, 'archives are kept by default');
  await loadThroughPicker(page, fixture('archives/crash.zip'));
  assert.match(await page.getByTestId('sources').innerText(), /crash\.zip/);
  const said = page.getByTestId('url-error');
  await said.waitFor({ timeout: 60_000 });
  assert.equal(
    await said.innerText(),
    'crash.zip is loaded but could not be kept in this browser: the browser has no more storage for this site (QuotaExceededError). Forget older archives to make room.',
  );
  await page.screenshot({ path: `${screenshotDir}/recent-quota.png` });
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: site.origin });
  await startPage(page);
  // Nothing was kept.
  await page.getByTestId('recent-empty').waitFor();
  assert.deepEqual(seen, []);
  await fresh.close();
});
