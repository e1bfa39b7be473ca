// Charts on the demo recording: rate, mailbox depth and state size for a
// chosen process render with data, and a drag-select zooms the shared view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { screenshotDir } from './harness.mjs';
import { openTab, openDemoView, closeView } from './timeline-helpers.mjs';

let view, page;

before(async () => {
  view = await openDemoView('Charts');
  ({ page } = view);
  await page.getByTestId('charts').waitFor({ timeout: 120_000 });
});
after(() => closeView(view));

const points = (id) => page.getByTestId(id).getAttribute('data-points').then(Number);

test('rate, mailbox depth and state size have data for the chosen WorkerA', async () => {
  const add = page.getByTestId('charts-add');
  const option = add.locator('option', { hasText: 'OtpscopeDemo.WorkerA' });
  await option.first().waitFor({ state: 'attached', timeout: 60_000 });
  await add.selectOption({ value: await option.first().getAttribute('value') });
  await page.getByTestId('charts-process-chip').filter({ hasText: 'OtpscopeDemo.WorkerA' }).waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-state"]')?.getAttribute('data-points')) > 0, null, { timeout: 60_000 });
  assert.ok((await points('chart-rate')) > 0, 'message rate has points');
  assert.ok((await points('chart-mailbox')) > 0, 'the mailbox held a message at some point');
  assert.ok((await points('chart-state')) > 0, 'state size has points');
  for (const id of ['chart-rate', 'chart-mailbox', 'chart-state']) {
    assert.equal(await page.getByTestId(id).locator('canvas').count(), 1, `${id} draws one uPlot canvas`);
    assert.match(await page.getByTestId(id).locator('.u-legend').innerText(), /OtpscopeDemo\.WorkerA/);
  }
  await page.screenshot({ path: `${screenshotDir}/charts-light.png`, fullPage: false });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${screenshotDir}/charts-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.waitForTimeout(300);
});

test('drag-selecting a range zooms the shared view; the timeline follows', async () => {
  const over = page.getByTestId('chart-rate').locator('.u-over');
  const box = await over.boundingBox();
  const xAxisText = () =>
    page
      .getByTestId('chart-rate')
      .locator('.u-axis')
      .first()
      .innerText()
      .catch(() => '');
  const before = await page.getByTestId('chart-rate').locator('canvas').screenshot();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 6 });
  await page.mouse.up();
  // The chart redraws once the engine answers for the new window: polled (a minute at most), not timed.
  let after = before;
  for (let i = 0; i < 300 && Buffer.compare(before, after) === 0; i++) {
    await page.waitForTimeout(200);
    after = await page.getByTestId('chart-rate').locator('canvas').screenshot();
  }
  assert.notDeepEqual(before, after, 'the chart redrew for the new window');
  void xAxisText;
  await openTab(page, 'Timeline');
  await page
    .getByTestId('timeline-window')
    .filter({ hasText: /visible/ })
    .waitFor({ timeout: 60_000 });
  const text = await page.getByTestId('timeline-window').innerText();
  const ms = Number(text.match(/([\d.]+) ms visible/)?.[1]);
  assert.ok(ms > 5 && ms < 20, `the timeline shows the chart's window (~10 ms of 68): ${text}`);
});
