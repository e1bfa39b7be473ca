// Calls of functions traced without return_trace (test/fixtures/raw/raw_noreturn.erl: dbg:tp(queue, []) and
// dbg:tp(orddict, []) beside raw_noreturn:batch/1 traced with returns), on the Timeline. Regression test: each such call
// was a bar running to the trace's end, so the lane's first bars lay over each other with their labels, and the
// pointer anywhere after a call found it "no return seen".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, openBrowser, screenshotDir, settled } from './harness.mjs';
import { closeView, openTab, startViewsSite } from './timeline-helpers.mjs';

// :queue.in/2's first call (no return: an instant) and the first batch/1 (a return: a bar).
const TICK_SEQ = 1;
const BAR_SEQ = 4;

let view, page;

before(async () => {
  const site = await startViewsSite();
  const { browser, context } = await openBrowser({ viewport: { width: 1440, height: 800 } });
  page = await context.newPage();
  view = { site, browser, page };
  await page.goto(`${site.origin}/`);
  await page.getByTestId('file-input').setInputFiles(fixture('raw/noreturn.trace'));
  await openTab(page, 'Timeline');
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
});
after(() => closeView(view));

async function locate(seq) {
  let p = null;
  for (let i = 0; i < 600 && p === null; i++) {
    p = await page.evaluate((s) => window.__otpscopeTimeline.locate(s), seq);
    if (p === null) await page.waitForTimeout(50);
  }
  assert.ok(p, `#${seq} has a lane`);
  return p;
}

test('a call with no return traced is a tick that says why, not a bar to the end', async () => {
  const box = await page.getByTestId('timeline-canvas').boundingBox();
  const tick = await locate(TICK_SEQ);
  const bar = await locate(BAR_SEQ);
  // The span row is the lane's top row (locate answers the event row, 16 px below it).
  const y = box.y + tick.y - 16;
  const tip = page.getByTestId('timeline-tooltip');
  await page.mouse.move(box.x + tick.x, y);
  await tip.filter({ hasText: ':queue.in/2' }).waitFor({ timeout: 60_000 });
  const text = await tip.innerText();
  assert.match(text, /no return traced, duration unknown/);
  assert.match(text, /traced without return_trace/);
  assert.doesNotMatch(text, /no return seen;/);
  await settled(page);
  await page.screenshot({ path: `${screenshotDir}/timeline-span-no-return.png` });
  // Halfway from the tick to batch/1's bar: nothing (the call's bar ran on to the trace's end there).
  await page.mouse.move(box.x + (tick.x + bar.x) / 2, y);
  await tip.filter({ hasText: ':queue.in/2' }).waitFor({ state: 'hidden', timeout: 60_000 });
  assert.equal(await tip.filter({ hasText: /:queue\.|:orddict\./ }).count(), 0);
  // batch/1 returned: a bar, with its duration
  await page.mouse.move(box.x + bar.x + 4, y);
  await tip.filter({ hasText: ':raw_noreturn.batch/1' }).waitFor({ timeout: 60_000 });
  assert.doesNotMatch(await tip.innerText(), /duration unknown|no return/);
  // Selecting the tick: the details line says why it has no duration.
  await page.mouse.click(box.x + tick.x, y);
  await page.getByTestId('timeline-details').filter({ hasText: 'no return traced' }).waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('timeline-details').innerText(), /its duration is unknown/);
});
