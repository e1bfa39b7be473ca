// Signals drawn as lines on a real recording (test/scenarios/signals.exs): a supervisor's {:EXIT, child, reason}
// from its crashed child, which the runtime makes (no send), is a dashed arrow on the timeline from the child's exit
// to the supervisor's receive, named a signal on hover and when selected; the sequence diagram draws it as a
// signal. Screenshots of both in light and dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fixture, openBrowser, screenshotDir } from './harness.mjs';
import { chooseLifeline, clearLifelines, openAllGroups, openTab, parseNs, startViewsSite } from './timeline-helpers.mjs';

let site, browser, page;

before(async () => {
  site = await startViewsSite();
  const b = await openBrowser();
  browser = b.browser;
  page = await b.context.newPage();
  await mkdir(screenshotDir, { recursive: true });
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(site.origin + '/');
  await page.getByTestId('file-input').setInputFiles(fixture('scenarios/signals.zip'));
  await openTab(page, 'Timeline');
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  await openAllGroups(page);
  await page
    .getByTestId('timeline-window')
    .filter({ hasText: /visible/ })
    .waitFor({ timeout: 120_000 });
});
after(async () => {
  await browser?.close();
  await site?.close();
});

const lanes = () => page.evaluate(() => window.__otpscopeTimeline.lanes());
const arrows = () => page.evaluate(() => window.__otpscopeTimeline.arrows());
const visibleNs = async () => parseNs(await page.getByTestId('timeline-window').innerText());

/** The supervisor's EXIT from its crashed child (Scn.Flaky's first pid): the first signal arrow from a Scn.Flaky lane. */
async function crashSignal() {
  const flaky = new Set((await lanes()).filter((l) => l.name === 'Scn.Flaky').map((l) => l.pid));
  return (await arrows()).filter((a) => a.origin !== 0 && flaky.has(a.from)).sort((a, b) => a.recvSeq - b.recvSeq)[0];
}

test("the timeline draws the supervisor's EXIT from the crashed child's exit, dashed, named a signal", async () => {
  await page.getByTestId('timeline-legend').filter({ hasText: 'signal' }).waitFor();
  let a;
  for (let i = 0; i < 600 && !(a = await crashSignal()); i++) await page.waitForTimeout(100);
  assert.ok(a, 'a signal arrow from Scn.Flaky');
  assert.equal(a.origin, 1, 'drawn from the exit');
  assert.equal(a.sendSeq, -1, 'no send');
  // Zoom at the arrow's middle until it is long enough to hover (Ctrl+wheel, polled: frames are slow on a busy machine).
  const box = await page.getByTestId('timeline-canvas').boundingBox();
  for (let i = 0; i < 60 && (await visibleNs()) > 60e3; i++) {
    a = await crashSignal();
    await page.mouse.move(box.x + Math.min(Math.max((a.x0 + a.x1) / 2, 180), box.width - 10), box.y + a.y1);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -400);
    await page.keyboard.up('Control');
    await page.waitForTimeout(90);
  }
  for (let i = 0; i < 100 && !((a = await crashSignal()) && a.x1 - a.x0 > 30); i++) await page.waitForTimeout(100);
  assert.ok(a.x1 - a.x0 > 30 && a.y0 !== a.y1, `the arrow goes from the child's lane to the supervisor's, later: ${JSON.stringify(a)}`);
  // As drawn (neither hovered nor selected): dashed, in the signal colour.
  await page.mouse.move(box.x + 5, box.y + 5);
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${screenshotDir}/signals-timeline-light.png` });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${screenshotDir}/signals-timeline-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.waitForTimeout(300);
  a = await crashSignal();
  const mid = { x: box.x + (a.x0 + a.x1) / 2, y: box.y + (a.y0 + a.y1) / 2 };
  await page.mouse.move(mid.x, mid.y);
  const tip = page.getByTestId('timeline-tooltip');
  await tip.filter({ hasText: /signal Scn\.Flaky → / }).waitFor();
  assert.match(await tip.innerText(), /no send: the runtime made it/);
  assert.match(await tip.innerText(), /Scn\.Flaky exited .*, received /);
  await tip.filter({ hasText: /\{:EXIT, #PID<.*RuntimeError/ }).waitFor();
  await page.mouse.click(mid.x, mid.y);
  const details = page.getByTestId('timeline-details');
  await details.filter({ hasText: `#${a.recvSeq} receive` }).waitFor();
  assert.match(await details.innerText(), /signal → #\d+: no send, the runtime made it at its sender’s exit/);
  // Hovered again for the screenshots (a click hides the tooltip; the view may have moved to the selection).
  await page.waitForTimeout(500);
  a = await crashSignal();
  await page.mouse.move(box.x + (a.x0 + a.x1) / 2, box.y + (a.y0 + a.y1) / 2);
  await tip.filter({ hasText: /signal Scn\.Flaky/ }).waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${screenshotDir}/signals-timeline-hover-light.png` });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${screenshotDir}/signals-timeline-hover-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });
});

test("the sequence diagram draws the supervisor's EXIT as a signal", async () => {
  const a = await crashSignal();
  await openTab(page, 'Sequence');
  await page.getByTestId('sequence').waitFor({ timeout: 120_000 });
  await clearLifelines(page);
  for (const label of [a.to, `Scn.Flaky ${a.from}`]) await chooseLifeline(page, label);
  await page.getByLabel('only the visible window').uncheck();
  const signal = page.locator('[data-testid="sequence-message"][data-role="signal"]').first();
  await signal.waitFor({ timeout: 60_000 });
  assert.match(await signal.locator('text.label').textContent(), /^signal \{:EXIT, #PID</);
  await signal.hover();
  await page
    .getByTestId('sequence-hover')
    .filter({ hasText: /^signal Scn\.Flaky → .*\(no send: the runtime made it at Scn\.Flaky's exit\)$/ })
    .waitFor();
  await page.getByTestId('sequence-legend').filter({ hasText: 'signal' }).waitFor();
  await page.screenshot({ path: `${screenshotDir}/signals-sequence-light.png` });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${screenshotDir}/signals-sequence-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });
});
