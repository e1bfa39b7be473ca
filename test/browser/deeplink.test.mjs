// Deep links stay honest: a link to a view of an archive that is not loaded says which archive it needs and offers
// it from the recent archives; a link opened over another archive says its view was not applied; a link naming a
// process or an event the archive lacks says so instead of showing an empty view. Nothing leaves the origin.
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

const hash = (o) => '#' + new URLSearchParams(o).toString();
const notice = (page) => page.getByTestId('deeplink-notice');

async function open(page, path) {
  await page.goto(site.origin + path);
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
}

test('a link whose archive is not loaded names it; loading it lands on the linked view', async () => {
  const page = await context.newPage();
  await open(page, '/' + hash({ a: 'crash.zip', p: 'state', pid: 'nonode@nohost|<0.158.0>', seq: '48' }));
  assert.equal(
    await notice(page).innerText(),
    'This link shows a view of crash.zip, which is not loaded. Open it to land on that view: drop it here or choose it (it is not among the recent archives kept in this browser).\n✕',
  );
  await page.screenshot({ path: `${screenshotDir}/deeplink-missing.png` });
  await loadThroughPicker(page, fixture('archives/crash.zip'));
  await keptInBrowser(page, 'crash.zip'); // the next test finds it among the recent archives
  await page.getByTestId('panel-state').waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid=deeplink-notice]'));
  assert.match(await page.evaluate(() => location.hash), /a=crash\.zip&p=state&pid=nonode%40nohost%7C%3C0\.158\.0%3E&seq=48/);
  assert.deepEqual(outside, []);
  await page.close();
});

test('a stale link: the archive is offered from the recent archives, then the missing process and event are named', async () => {
  // crash.zip was opened in the test above, so this browser keeps it.
  const page = await context.newPage();
  await open(page, '/' + hash({ a: 'crash.zip', p: 'state', pid: 'nonode@nohost|<0.999.0>', seq: '99999' }));
  assert.match(await notice(page).innerText(), /This link shows a view of crash\.zip, which is not loaded\. .*it is among your recent archives\./);
  await page.getByTestId('deeplink-open').click();
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  await notice(page).filter({ hasText: 'does not have' }).waitFor({ timeout: 60_000 });
  assert.equal(
    await notice(page).innerText(),
    'The link names what this archive does not have: process <0.999.0> on nonode@nohost is not in crash.zip; event #99999 is not in crash.zip (its events are #0 to #119).\n✕',
  );
  await page.screenshot({ path: `${screenshotDir}/deeplink-stale.png` });
  assert.deepEqual(outside, []);
  await page.close();
});

test('a link opened over another archive says its view was not applied', async () => {
  const page = await context.newPage();
  await open(page, '/?demo' + hash({ a: 'crash.zip', p: 'calls' }));
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  await notice(page).filter({ hasText: 'was made for' }).waitFor({ timeout: 60_000 });
  assert.equal(await notice(page).innerText(), "This link was made for crash.zip, but demo.zip is loaded: the link's view was not applied.\n✕");
  await page.getByRole('button', { name: 'Dismiss' }).first().click();
  await page.waitForFunction(() => !document.querySelector('[data-testid=deeplink-notice]'));
  assert.deepEqual(outside, []);
  await page.close();
});
