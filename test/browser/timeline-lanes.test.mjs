// The timeline's lanes: a scrollbar the user can drag, a sign naming the busiest lane below the fold
// (the app's bundled demo has more lanes than a 1024x700 window shows), and lanes moved by dragging
// their name, an order the URL keeps across a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { startSite, openBrowser, fixture, screenshotDir, openPanel } from './harness.mjs';

let site, browser, context;

before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser({ viewport: { width: 1024, height: 700 } }));
  await mkdir(screenshotDir, { recursive: true });
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/** Opens the timeline on the test fixture, or with `bundled` the app's own demo. */
async function openTimeline(page, { bundled = false, hash = '', loadFixture = !bundled } = {}) {
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(site.origin + (bundled ? '/?demo' : '/') + hash);
  if (loadFixture) await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  await openPanel(page, 'timeline');
  await page.waitForFunction(() => window.__otpscopeTimeline && window.__otpscopeTimeline.size().height > 150, null, { timeout: 120_000 });
}

/** Every shown lane with its canvas y, top to bottom. */
const shownLanes = (page) =>
  page.evaluate(() =>
    window.__otpscopeTimeline
      .lanes()
      .map((l) => ({ ...l, y: window.__otpscopeTimeline.laneTop(l.node, l.pid) }))
      .filter((l) => l.y !== null)
      .sort((a, b) => a.y - b.y),
  );

test('a scrollbar for the lanes that drags, and a sign naming the busiest lane below the fold', async () => {
  const page = await context.newPage();
  await openTimeline(page, { bundled: true, hash: '#fold=' }); // every group open: more lanes than the window shows
  const { height } = await page.evaluate(() => window.__otpscopeTimeline.size());
  const lanes = await shownLanes(page);
  // Below: more than half of the lane (30 px) under the canvas's bottom edge.
  const below = lanes.filter((l) => l.y + 15 > height);
  assert.ok(below.length >= 1, `lanes below the fold: ${below.length}`);
  const busiest = below.reduce((a, b) => (b.events > a.events ? b : a));
  const sign = page.getByTestId('timeline-below');
  await sign.filter({ hasText: `${below.length} more ${below.length === 1 ? 'lane' : 'lanes'} below` }).waitFor();
  assert.match(
    await sign.innerText(),
    new RegExp(`busiest: ${(busiest.name ?? busiest.pid).replace(/[.<>]/g, '\\$&')} \\(${busiest.events.toLocaleString('en-US')} events\\)`),
  );

  // The thumb is proportional: shorter than its track when lanes overflow.
  const track = await page.getByTestId('timeline-scrollbar').boundingBox();
  const thumb = await page.getByTestId('timeline-scroll-thumb').boundingBox();
  assert.ok(thumb.height < track.height - 10 && thumb.height >= 24, `thumb ${thumb.height} of ${track.height}`);
  assert.ok(Math.abs(thumb.y - track.y) < 2, 'at the top before scrolling');

  // Dragging the thumb scrolls the lanes.
  const first = lanes[0];
  const top = () => page.evaluate(({ node, pid }) => window.__otpscopeTimeline.laneTop(node, pid), first);
  await page.mouse.move(thumb.x + thumb.width / 2, thumb.y + 5);
  await page.mouse.down();
  await page.mouse.move(thumb.x + thumb.width / 2, thumb.y + 65, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(({ f, y }) => window.__otpscopeTimeline.laneTop(f.node, f.pid) < y, { f: first, y: first.y });
  const moved = await page.getByTestId('timeline-scroll-thumb').boundingBox();
  assert.ok(moved.y > thumb.y + 10, `the thumb follows (${thumb.y} -> ${moved.y})`);
  // To the bottom: every lane is above the fold, the sign goes.
  await page.mouse.move(moved.x + moved.width / 2, moved.y + 5);
  await page.mouse.down();
  await page.mouse.move(moved.x + moved.width / 2, track.y + track.height + 200, { steps: 4 });
  await page.mouse.up();
  await sign.waitFor({ state: 'detached' });
  const last = (await shownLanes(page)).at(-1);
  assert.ok(last.y + 30 <= height, `the last lane is in view (${last.y} + 30 <= ${height})`);
  await page.screenshot({ path: `${screenshotDir}/timeline-scrolled-1024-light.png` });

  // A press on the track above the thumb pages up; back at the top, the sign scrolls the busiest lane below into view.
  for (let i = 0; i < 20 && (await top()) < first.y; i++) await page.mouse.click(track.x + track.width / 2, track.y + 3);
  assert.equal(await top(), first.y, 'back at the top');
  await sign.click();
  await page.waitForFunction(
    ({ node, pid, h }) => {
      const y = window.__otpscopeTimeline.laneTop(node, pid);
      return y !== null && y >= 24 && y + 30 <= h;
    },
    { node: busiest.node, pid: busiest.pid, h: height },
  );
  await page.close();
});
