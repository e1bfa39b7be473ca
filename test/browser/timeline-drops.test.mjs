// A callback whose return the recorder dropped (test/scenarios/span_drops.exs: Scn.Fanout's handle_call sends 600
// messages over max_rate 400/s, its return among the dropped events), on the Timeline. Regression test: the span was
// `unfinished`, drawn running to the trace's end (1.5 s past the drop) and described as "no return seen".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, screenshotDir, settled } from './harness.mjs';
import { closeView, openTab, startViewsSite } from './timeline-helpers.mjs';
import { openBrowser } from './harness.mjs';

// The callback's call event, and a window around the callback (absolute ns, as a link's `v=` holds them).
const CALL_SEQ = 9;
const VIEW = '1796539728899141371_1796539728899761876';

let view, page;

before(async () => {
  const site = await startViewsSite();
  const { browser, context } = await openBrowser();
  page = await context.newPage();
  view = { site, browser, page };
  await page.goto(`${site.origin}/#v=${VIEW}`);
  await page.getByTestId('file-input').setInputFiles(fixture('scenarios/span-drops.zip'));
  await openTab(page, 'Timeline');
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  await page
    .getByTestId('timeline-window')
    .filter({ hasText: /620\.5\d* µs visible/ })
    .waitFor({ timeout: 120_000 });
});
after(() => closeView(view));

test('a callback whose return may be among the dropped events ends at the drop, dotted, and says why', async () => {
  const box = await page.getByTestId('timeline-canvas').boundingBox();
  let p = null;
  for (let i = 0; i < 600 && p === null; i++) {
    p = await page.evaluate((s) => window.__otpscopeTimeline.locate(s), CALL_SEQ);
    if (p === null) await page.waitForTimeout(50);
  }
  assert.ok(p, 'the call has a lane');
  // The span's bar is the lane's top row (locate answers the event row, 16 px below it).
  const y = box.y + p.y - 16;
  const tip = page.getByTestId('timeline-tooltip');
  await page.mouse.move(box.x + p.x + 60, y);
  await tip.filter({ hasText: 'Scn.Fanout.handle_call/3' }).waitFor({ timeout: 60_000 });
  const text = await tip.innerText();
  assert.match(text, /ran at least 320\.5\d* µs from/);
  assert.match(text, /recorder dropped events on its node from its end on/);
  assert.doesNotMatch(text, /no return seen;/);
  await settled(page);
  await page.screenshot({ path: `${screenshotDir}/timeline-span-in-drop.png` });
  // Past the drop (the window's right part): no span there; it was drawn on to the trace's end.
  await page.mouse.move(box.x + box.width - 40, y);
  await tip.filter({ hasText: 'Scn.Fanout.handle_call/3' }).waitFor({ state: 'hidden', timeout: 60_000 });
});
