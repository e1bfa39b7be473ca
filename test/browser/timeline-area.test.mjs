// The timeline's area selection on the demo recording: shift+drag over every lane lists the call slices
// and messages inside as tables whose rows are exactly what the engine's timelineAreaRows returns for
// that area (run here in Node on the same archive), a header sorts, and a row selects its event everywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdir } from 'node:fs/promises';
import { register } from 'tsx/esm/api';
import { startSite, openBrowser, fixture, screenshotDir, openPanel } from './harness.mjs';

register();
const { createEngineApi } = await import('../../src/engine/api.ts');
const { openNodeDuckDb } = await import('../../src/engine/duckdb/open-node.ts');
const { Engine } = await import('../../src/engine/engine.ts');

let site, browser, page, api;

before(async () => {
  site = await startSite();
  let context;
  ({ browser, context } = await openBrowser({ viewport: { width: 1440, height: 900 } }));
  await mkdir(screenshotDir, { recursive: true });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  // Every group open (the runtime's start folded), as a shared link would.
  await page.goto(site.origin + '/#fold=');
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  await openPanel(page, 'timeline');
  await page
    .getByTestId('timeline-window')
    .filter({ hasText: /visible/ })
    .waitFor({ timeout: 120_000 });
  api = createEngineApi(async () => Engine.create(await openNodeDuckDb()));
  const report = await api.load([{ name: 'demo.zip', bytes: new Uint8Array(await readFile(fixture('archives/demo.zip'))) }]);
  assert.deepEqual(report.errors, []);
});
after(async () => {
  await browser?.close();
  await site?.close();
});

const keys = (testid) => page.getByTestId(`${testid}-row`).evaluateAll((rows) => rows.map((r) => r.dataset.key));
const hashSeq = () => page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('seq'));

/** `rows` sorted by `value`, equal values in the engine's order (the table's sort is stable). */
const sortedBy = (rows, value, dir) =>
  rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (dir === 'desc' ? value(b.r) - value(a.r) : value(a.r) - value(b.r)) || a.i - b.i)
    .map((x) => x.r);

test("shift+drag lists the area's call slices and messages as the engine returns them; sorting and selecting a row", async () => {
  await page
    .locator('[title="processes shown / with events"]')
    .filter({ hasText: /^7\/7$/ })
    .waitFor();
  await page.getByTestId('timeline-fit').click();
  const box = await page.getByTestId('timeline-canvas').boundingBox();
  await page.mouse.move(box.x + 172, box.y + 30);
  await page.keyboard.down('Shift');
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 5, box.y + box.height - 5, { steps: 8 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  await page.getByTestId('timeline-area-slices-row').first().waitFor({ timeout: 60_000 });
  // The panel is docked below the lanes: it covers neither the lane names nor the selected area.
  const panel = await page.getByTestId('timeline-summary').boundingBox();
  const lanesBox = await page.getByTestId('timeline-canvas').boundingBox();
  assert.ok(panel.y >= lanesBox.y + lanesBox.height - 1, `panel top ${panel.y} below the lanes (bottom ${lanesBox.y + lanesBox.height})`);

  // What the engine returns for the area the timeline asked about.
  const q = await page.evaluate(() => window.__otpscopeTimeline.area());
  assert.ok(q && q.lanes.length === 7, 'the area covers every lane');
  const want = await api.views.timelineAreaRows(BigInt(q.t0), q.traceLen, q.lanes, q.start, q.end);
  assert.ok(want.slices.length >= 4 && want.messages.length >= 4, 'the demo has slices and messages in the area');
  const sliceKeys = want.slices.map((s) => String(s.seq));
  assert.deepEqual(await keys('timeline-area-slices'), sliceKeys);
  const firstCells = await page.getByTestId('timeline-area-slices-row').first().locator('td').allInnerTexts();
  assert.equal(firstCells[0], want.slices[0].mfa);
  assert.ok(firstCells[1].includes(want.slices[0].pid), `${firstCells[1]} names ${want.slices[0].pid}`);
  assert.match(await page.getByTestId('timeline-area-tab-slices').innerText(), new RegExp(`Call slices ${want.slicesTotal}\\b`));

  // Sorting by duration: longest first, then shortest first.
  await page.getByTestId('timeline-area-slices-sort-duration').click();
  assert.deepEqual(
    await keys('timeline-area-slices'),
    sortedBy(want.slices, (s) => s.duration, 'desc').map((s) => String(s.seq)),
  );
  assert.equal(await page.locator('th[aria-sort=descending]').innerText(), 'Duration ▼');
  await page.getByTestId('timeline-area-slices-sort-duration').click();
  assert.deepEqual(
    await keys('timeline-area-slices'),
    sortedBy(want.slices, (s) => s.duration, 'asc').map((s) => String(s.seq)),
  );

  // A row selects its call event everywhere (the URL, the details line, the process).
  const longest = sortedBy(want.slices, (s) => s.duration, 'desc')[0];
  await page.locator(`[data-testid=timeline-area-slices-row][data-key="${longest.seq}"]`).click();
  await page.waitForFunction((s) => new URLSearchParams(location.hash.slice(1)).get('seq') === String(s), longest.seq);
  await page
    .getByTestId('timeline-details')
    .filter({ hasText: `#${longest.seq} call` })
    .waitFor();
  assert.equal(await page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('pid')), `${longest.node}|${longest.pid}`);
  assert.equal(await page.locator('[data-testid=timeline-area-slices-row].sel').getAttribute('data-key'), String(longest.seq));

  // Messages: the same rows as the engine's; a row selects the receive.
  await page.getByTestId('timeline-area-tab-messages').click();
  assert.deepEqual(
    await keys('timeline-area-messages'),
    want.messages.map((m) => `${m.sendSeq ?? ''}-${m.recvSeq ?? ''}`),
  );
  const texts = await page.getByTestId('timeline-area-messages-row').evaluateAll((rows) => rows.map((r) => r.children[2].textContent));
  assert.deepEqual(
    texts,
    want.messages.map((m) => m.msg ?? ''),
  );
  await page.getByTestId('timeline-area-messages-sort-sent').click();
  assert.deepEqual(
    await keys('timeline-area-messages'),
    sortedBy(want.messages, (m) => m.sent ?? -Infinity, 'desc').map((m) => `${m.sendSeq ?? ''}-${m.recvSeq ?? ''}`),
  );
  const ping = want.messages.find((m) => m.recvSeq !== null && /hello from A #2/.test(m.msg ?? ''));
  assert.ok(ping, 'the second ping is in the area');
  await page.locator(`[data-testid=timeline-area-messages-row][data-key="${ping.sendSeq}-${ping.recvSeq}"]`).click();
  await page.waitForFunction((s) => new URLSearchParams(location.hash.slice(1)).get('seq') === String(s), ping.recvSeq);
  await page
    .getByTestId('timeline-details')
    .filter({ hasText: `#${ping.recvSeq} receive` })
    .waitFor();
  assert.equal(await hashSeq(), String(ping.recvSeq));
  await page.screenshot({ path: `${screenshotDir}/timeline-area-table-1440-light.png` });
  await page.keyboard.press('Escape');
  await page.getByTestId('timeline-summary').waitFor({ state: 'detached' });
});
