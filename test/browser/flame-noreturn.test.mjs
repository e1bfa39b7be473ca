// The flame chart (src/ui/views/flame) of a raw trace's worker whose last traced call is one of a function traced
// without returns (test/fixtures/raw/raw_noreturn.erl: queue:len/1 after the two batch/1 calls): a no_return instant,
// so the chart's whole extent ends exactly at it. Regression test: its 3 px slice started at the lanes' right edge
// and was drawn past it, clipped away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openLoaded, fixture, openPanel, screenshotDir } from './harness.mjs';

let site, browser, page;

before(async () => {
  site = await startSite();
  ({ browser, page } = await openLoaded(site, fixture('raw/noreturn.trace')));
});
after(async () => {
  await browser?.close();
  await site?.close();
});

test("a no_return instant at the view's right edge is drawn inside it", async () => {
  await openPanel(page, 'flame');
  const table = page.getByTestId('flame-processes');
  await table.waitFor({ timeout: 60_000 });
  await table.locator('tbody tr').first().click();
  await page.getByTestId('flame-slice').first().waitFor({ timeout: 60_000 });
  const lanes = await page.getByTestId('flame-lanes').boundingBox();
  const slices = await page
    .getByTestId('flame-slice')
    .evaluateAll((els) => els.map((e) => ({ seq: Number(e.dataset.seq), label: e.getAttribute('aria-label'), box: e.getBoundingClientRect().toJSON() })));
  const last = slices.reduce((a, b) => (b.seq > a.seq ? b : a));
  assert.match(last.label, /^:queue\.len\/1, duration unknown$/);
  await page.screenshot({ path: `${screenshotDir}/flame-no-return-edge.png` });
  assert.ok(last.box.width >= 3, `${last.box.width} px wide`);
  assert.ok(last.box.right <= lanes.x + lanes.width, `its right ${last.box.right} within the lanes' ${lanes.x + lanes.width}`);
  assert.ok(last.box.left >= lanes.x + lanes.width - 4, `at the right edge: ${last.box.left}`);
});
