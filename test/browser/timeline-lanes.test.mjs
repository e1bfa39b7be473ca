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
  // The lanes are measured below: wait until the tables behind the first view are built too.
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
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

/** Drags the names column from canvas y `from` to `to`. */
async function dragName(page, box, from, to) {
  await page.mouse.move(box.x + 60, box.y + from);
  await page.mouse.down();
  await page.mouse.move(box.x + 60, box.y + to, { steps: 6 });
  await page.mouse.up();
}

/** Waits until lane `upper`'s top is above lane `lower`'s (demo pids on nonode@nohost). */
const waitAbove = (page, upper, lower) =>
  page.waitForFunction(
    ({ upper, lower }) => window.__otpscopeTimeline.laneTop('nonode@nohost', upper) < window.__otpscopeTimeline.laneTop('nonode@nohost', lower),
    { upper, lower },
  );

test('a lane dragged by its name moves within its group; the order is in the URL and survives a reload', async () => {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1440, height: 900 });
  await openTimeline(page);
  // The demo's application group: WorkerB <0.138.0> above WorkerA <0.139.0>.
  const laneTop = (pid) => page.evaluate((p) => window.__otpscopeTimeline.laneTop('nonode@nohost', p), pid);
  await page.waitForFunction(() => window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.139.0>') !== null);
  assert.ok(await page.getByTestId('timeline-scroll-thumb').isHidden(), 'every lane fits: no scrollbar thumb');
  const b0 = await laneTop('<0.138.0>');
  const a0 = await laneTop('<0.139.0>');
  assert.ok(b0 < a0, `WorkerB (${b0}) starts above WorkerA (${a0})`);
  const selectedBefore = await page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('pid'));

  // Drag WorkerA's name above WorkerB's.
  const box = await page.getByTestId('timeline-canvas').boundingBox();
  await dragName(page, box, a0 + 15, b0 + 5);
  await waitAbove(page, '<0.139.0>', '<0.138.0>');
  assert.equal(await laneTop('<0.139.0>'), b0, "WorkerA took WorkerB's place");
  assert.equal(await laneTop('<0.138.0>'), b0 + 30, 'WorkerB is right below it');
  await page.waitForFunction(() => /<0\.139\.0>/.test(new URLSearchParams(location.hash.slice(1)).get('order') ?? ''));
  const order = await page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('order').split('\n'));
  assert.ok(order.indexOf('nonode@nohost|<0.139.0>') < order.indexOf('nonode@nohost|<0.138.0>'), order.join(' '));
  assert.equal(await page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('pid')), selectedBefore, 'a drag does not select');

  // A reload with the URL keeps the order.
  const hash = new URL(page.url()).hash;
  await page.goto('about:blank');
  await openTimeline(page, { hash });
  await page.waitForFunction(() => window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.139.0>') !== null, null, { timeout: 120_000 });
  await waitAbove(page, '<0.139.0>', '<0.138.0>');

  // Dragging it below WorkerB puts it back.
  const a1 = await laneTop('<0.139.0>');
  const b1 = await laneTop('<0.138.0>');
  await dragName(page, box, a1 + 15, b1 + 25);
  await waitAbove(page, '<0.138.0>', '<0.139.0>');
  await page.screenshot({ path: `${screenshotDir}/timeline-lanes-moved-1440-light.png` });
  await page.close();
});

test('a lane held at the bottom edge scrolls the lanes and lands below lanes that were out of view', async () => {
  const page = await context.newPage();
  await openTimeline(page, { bundled: true, hash: '#fold=' });
  const { height } = await page.evaluate(() => window.__otpscopeTimeline.size());
  const lanes = await shownLanes(page);
  const hidden = lanes.find((l) => l.y + 15 > height);
  assert.ok(hidden, 'a lane below the fold');
  const mover = lanes.find((l) => l.group === hidden.group && l.y >= 24 && l.y + 30 <= height);
  assert.ok(mover, `a lane of group ${hidden.group} in view`);
  const top = (l) => page.evaluate(({ node, pid }) => window.__otpscopeTimeline.laneTop(node, pid), l);

  const box = await page.getByTestId('timeline-canvas').boundingBox();
  await page.mouse.move(box.x + 60, box.y + mover.y + 15);
  await page.mouse.down();
  await page.mouse.move(box.x + 60, box.y + height - 4, { steps: 6 });
  // Held still near the edge, the lanes scroll on their own until the hidden lane is in view.
  await page.waitForFunction(({ l, h }) => window.__otpscopeTimeline.laneTop(l.node, l.pid) + 30 <= h, { l: hidden, h: height }, { timeout: 60_000 });
  await page.mouse.up();
  await page.waitForFunction(({ m, l }) => window.__otpscopeTimeline.laneTop(m.node, m.pid) > window.__otpscopeTimeline.laneTop(l.node, l.pid), {
    m: mover,
    l: hidden,
  });
  assert.ok((await top(lanes[0])) < lanes[0].y, 'the lanes scrolled');
  const order = await page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('order')?.split('\n') ?? []);
  assert.ok(order.indexOf(`${mover.node}|${mover.pid}`) > order.indexOf(`${hidden.node}|${hidden.pid}`), 'the URL keeps the new order');
  await page.close();
});
