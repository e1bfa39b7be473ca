// The flame chart (src/ui/views/flame) on the recorder's calltrace archive: process <0.180.0> ran
// OtpscopeDemo.Calc.sum/1 recursively (32 levels under mean/1) and parse!/1 twice, the second
// raising. The chart draws what the engine's flame query answers for the chart's width (one call per depth and
// pixel), hover
// names the function and its duration, a click selects the call everywhere, a double click zooms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openLoaded, fixture, openPanel, screenshotDir } from './harness.mjs';

const P = { node: 'nonode@nohost', pid: '<0.180.0>' };
let site, browser, page;

before(async () => {
  site = await startSite();
  ({ browser, page } = await openLoaded(site, fixture('archives/calltrace.zip')));
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/** The engine's flame chart for the lanes' current width and `window`, as the view asks for it. */
const engineChart = (window) =>
  page.evaluate(
    async ({ p, w }) => {
      const width = Math.round(document.querySelector('[data-testid=flame-lanes]').clientWidth);
      const c = await window.__otpscopeEngine.views.flameChart(p, w, width);
      return { seqs: c.slices.map((s) => s.call_seq).sort((a, b) => a - b), hidden: c.hidden, calls: c.calls, depth: c.maxDepth };
    },
    { p: P, w: window },
  );
const drawn = async () => (await page.getByTestId('flame-slice').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)))).sort((a, b) => a - b);

test('with no process selected: the processes that made calls, as the engine lists them', async () => {
  await openPanel(page, 'flame');
  const table = page.getByTestId('flame-processes');
  await table.waitFor({ timeout: 60_000 });
  const want = await page.evaluate(() => window.__otpscopeEngine.views.flameProcesses());
  assert.deepEqual(want, [{ node: P.node, pid: P.pid, calls: 39, max_depth: 31 }]);
  const rows = await table.locator('tbody tr').allInnerTexts();
  assert.deepEqual(
    rows.map((r) => r.split('\t').map((c) => c.trim())),
    [['<0.180.0>', '39', '32']],
  );
  await table.locator('tbody tr').first().click();
});

test('the selected process: the slices the engine answered, stacked by depth, in time order', async () => {
  await page.getByTestId('flame-slice').first().waitFor({ timeout: 60_000 });
  await page
    .getByTestId('flame-summary')
    .filter({ hasText: /39 calls, 32 deep/ })
    .waitFor();
  const want = await engineChart(null);
  assert.equal(want.calls, 39);
  assert.ok(want.seqs.length > 0);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=flame-slice]').length === n, want.seqs.length);
  assert.deepEqual(await drawn(), want.seqs);
  const summary = await page.getByTestId('flame-summary').innerText();
  if (want.hidden > 0) assert.match(summary, new RegExp(`${want.hidden} more under the others`));
  else assert.doesNotMatch(summary, /more under the others/);
  // Depth is the row: parse!/1 (outermost) sits on top, sum/1 under mean/1 one row lower.
  const top = (seq) => page.locator(`[data-testid=flame-slice][data-seq="${seq}"]`).evaluate((e) => e.offsetTop);
  assert.equal(await top(75), 0);
  assert.ok((await top(10)) > (await top(9)));
  // Left to right in time: the first parse!/1 before the second, which raised.
  const left = (seq) => page.locator(`[data-testid=flame-slice][data-seq="${seq}"]`).evaluate((e) => e.offsetLeft);
  assert.ok((await left(75)) < (await left(79)));
  assert.match((await page.locator('[data-testid=flame-slice][data-seq="79"]').getAttribute('class')) ?? '', /exception/);
});

test('hover names the function and how long it took; a click selects the call everywhere', async () => {
  const slice = page.locator('[data-testid=flame-slice][data-seq="75"]');
  await slice.hover();
  const tip = page.getByTestId('flame-tooltip');
  await tip.waitFor();
  assert.match(await tip.innerText(), /OtpscopeDemo\.Calc\.parse!\/1/);
  // 1151818 ns from its call to its return.
  assert.equal(await page.getByTestId('flame-tooltip-duration').innerText(), '1.15 ms');
  assert.match(await tip.innerText(), /args \["42"\][\s\S]*returned 42/);
  await slice.click();
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('seq') === '75');
  await page
    .getByTestId('event-detail')
    .filter({ hasText: /OtpscopeDemo\.Calc\.parse!/ })
    .waitFor();
  assert.match((await slice.getAttribute('class')) ?? '', /\bsel\b/);
  await page.screenshot({ path: `${screenshotDir}/flame-light.png` });
});

test('a double click zooms to the call: its nested calls appear, as the engine answers for that window', async () => {
  const mean = await page.evaluate(async (p) => {
    const c = await window.__otpscopeEngine.views.flameChart(p);
    const s = c.slices.find((x) => x.call_seq === 9);
    return { start: s.started_at, end: s.ended_at };
  }, P);
  const before = await drawn();
  await page.locator('[data-testid=flame-slice][data-seq="9"]').dblclick();
  await page
    .getByTestId('flame-window')
    .filter({ hasText: /41\.6 µs shown/ })
    .waitFor({ timeout: 60_000 });
  // Inside mean/1: the 32 nested sum/1 calls and count/1, each in its own pixel now, and nothing else.
  const inside = [9, ...Array.from({ length: 31 }, (_, i) => 10 + i), 72];
  const want = await engineChart(mean);
  assert.deepEqual([want.seqs, want.hidden], [inside, 0]);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=flame-slice]').length === n, want.seqs.length);
  assert.deepEqual(await drawn(), want.seqs);
  assert.match(await page.getByTestId('flame-window').innerText(), /41\.6 µs shown/);
  // mean/1 fills the width now.
  const box = await page.locator('[data-testid=flame-slice][data-seq="9"]').boundingBox();
  const lanes = await page.getByTestId('flame-lanes').boundingBox();
  assert.ok(Math.abs(box.width - lanes.width) <= 2, `${box.width} vs ${lanes.width}`);
  await page.getByTestId('flame-zoom-out').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=flame-slice]').length === n, before.length);
  assert.deepEqual(await drawn(), before);
});

test('the chart follows the selected process', async () => {
  await page.locator('[data-testid=process-row][data-pid="<0.181.0>"]').click();
  await page
    .getByTestId('flame-empty')
    .filter({ hasText: /made no traced calls/ })
    .waitFor();
  await page.locator('[data-testid=flame-processes] tbody tr').first().click();
  await page.getByTestId('flame-slice').first().waitFor();
});
