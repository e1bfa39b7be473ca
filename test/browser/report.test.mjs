// "Copy as Markdown": the analyzer puts on the clipboard exactly the text `otpscope report --markdown` prints
// (test/fixtures/reports/, pinned by test/unit/report.test.ts), with the page's own address as the view link,
// and shows it. No request leaves the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startSite, openBrowser, blockOtherOrigins, fixture, screenshotDir } from './harness.mjs';

let site, browser, context, outside;

before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser());
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.origin });
  outside = await blockOtherOrigins(context, site.origin);
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/** The expected report with the CLI's hash-only view line replaced by the analyzer's full address. */
async function expectedWith(name, href) {
  const text = await readFile(fixture(`reports/${name}`), 'utf8');
  return text.replace(/^\*\*View:\*\* .*$/m, `**View:** <${href}> (opens this view once the archive is loaded)`);
}

for (const [what, open, md] of [
  ['the demo', (page) => page.goto(site.origin + '/?demo'), 'demo.md'],
  [
    'a recorded archive from the file picker',
    async (page) => {
      await page.goto(site.origin + '/');
      await page.getByTestId('file-input').setInputFiles(fixture('archives/crash.zip'));
    },
    'crash.md',
  ],
])
  test(`Copy as Markdown on ${what} copies the CLI's report text, with this view's link`, async () => {
    const page = await context.newPage();
    await open(page);
    await page.getByTestId('process-row').first().waitFor({ timeout: 60_000 });
    await page.getByTestId('tab-calls').click();
    await page.waitForFunction(() => location.hash.includes('p=calls'));
    await page.getByTestId('copy-report').click();
    await page
      .getByTestId('report-status')
      .filter({ hasText: /Copied \d+ lines/ })
      .waitFor({ timeout: 60_000 });
    const href = await page.evaluate(() => location.href);
    assert.match(href, /#a=(demo|crash)\.zip&p=calls/);
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(clipboard, await expectedWith(md, href));
    assert.equal(await page.getByTestId('report-text').inputValue(), clipboard, 'the dialog shows what was copied');
    if (md === 'demo.md') await page.screenshot({ path: `${screenshotDir}/report-dialog.png` });
    await page.getByTestId('report-close').click();
    await page.getByTestId('report-dialog').waitFor({ state: 'detached' });
    assert.deepEqual(outside, []);
    await page.close();
  });
