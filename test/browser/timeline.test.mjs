// The timeline on a real recording (the demo: WorkerA calls WorkerB three times):
// keyboard zoom and pan, clicking an event, following a message arrow to its
// receive, area selection and its summary, plus screenshots in both themes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { screenshotDir } from './harness.mjs';
import { openDemoView, closeView, openAllGroups, parseNs } from './timeline-helpers.mjs';

let view, page;

before(async () => {
  view = await openDemoView('Timeline');
  ({ page } = view);
  await page.getByTestId('timeline-canvas').waitFor();
  // The tests click and measure what is drawn: wait until every table behind the first view is built.
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  await page
    .getByTestId('timeline-window')
    .filter({ hasText: /visible/ })
    .waitFor({ timeout: 120_000 });
});
after(() => closeView(view));

const windowText = () => page.getByTestId('timeline-window').innerText();
const visibleNs = async () => parseNs(await windowText());
const windowStart = async () => parseNs((await windowText()).split(',')[1]);
const locate = (seq) => page.evaluate((s) => window.__otpscopeTimeline.locate(s), seq);

async function canvasBox() {
  return page.getByTestId('timeline-canvas').boundingBox();
}

/** Ctrl+wheel-zooms at event `seq` until the window is under `ns` wide. */
async function zoomTo(seq, ns) {
  const box = await canvasBox();
  for (let i = 0; i < 60 && (await visibleNs()) > ns; i++) {
    const p = await locate(seq);
    assert.ok(p, `event ${seq} has a lane`);
    await page.mouse.move(box.x + Math.min(Math.max(p.x, 180), box.width - 10), box.y + p.y);
    await page.keyboard.down('Control'); // Ctrl+wheel zooms; the wheel alone scrolls the lanes
    await page.mouse.wheel(0, -400);
    await page.keyboard.up('Control');
    await page.waitForTimeout(90);
  }
  await page.waitForTimeout(400); // the zoomed tile arrives
}

/** Holds `key` until `done(visibleNs, windowStartNs)` holds (polled; a minute at most), then releases it. */
async function holdUntil(key, done) {
  await page.keyboard.down(key);
  try {
    for (let i = 0; i < 1200 && !done(await visibleNs(), await windowStart()); i++) await page.waitForTimeout(50);
  } finally {
    await page.keyboard.up(key);
  }
}

async function fitAll() {
  await page.getByRole('button', { name: 'Fit' }).click();
  await page.waitForTimeout(300);
}

test('W/S zoom and A/D pan with the keyboard; ? lists the shortcuts', async () => {
  await fitAll();
  const box = await canvasBox();
  await page.mouse.click(box.x + box.width / 2, box.y + 10); // focus the page (a ruler click moves the cursor only)
  // Each key is held until the window has moved (however slowly frames come on a busy machine).
  const before = await visibleNs();
  await holdUntil('w', (v) => v < before * 0.6);
  const zoomed = await visibleNs();
  assert.ok(zoomed < before * 0.6, `W zooms in: ${before} -> ${zoomed}`);

  const start = await windowStart();
  await holdUntil('d', (v, s) => s > start);
  assert.ok((await windowStart()) > start, 'D pans right');
  const right = await windowStart();
  await holdUntil('a', (v, s) => s < right);
  assert.ok((await windowStart()) < right, 'A pans left');

  await holdUntil('s', (v) => v > zoomed);
  assert.ok((await visibleNs()) > zoomed, 'S zooms out');

  await page.keyboard.press('?');
  await page.getByTestId('timeline-help').waitFor();
  assert.match(await page.getByTestId('timeline-help').innerText(), /zoom in \/ out/);
  await page.keyboard.press('Escape');
  await page.getByTestId('timeline-help').waitFor({ state: 'detached' });
});

test('dragging pans the view', async () => {
  await fitAll();
  await zoomTo(41, 10e6);
  const box = await canvasBox();
  const start = await windowStart();
  await page.mouse.move(box.x + 700, box.y + 300);
  await page.mouse.down();
  await page.mouse.move(box.x + 600, box.y + 300, { steps: 5 });
  await page.mouse.up();
  // (Polled: the window's text follows a frame later, later still on a busy machine.)
  for (let i = 0; i < 1200 && !((await windowStart()) > start); i++) await page.waitForTimeout(50);
  assert.ok((await windowStart()) > start, 'dragging left moves the window later');
});

test('clicking an event selects it (details line), hovering shows its term as text', async () => {
  await fitAll();
  await zoomTo(41, 300e3);
  const box = await canvasBox();
  const p = await locate(41); // WorkerB's handle_call for the first ping
  await page.mouse.move(box.x + p.x, box.y + p.y);
  const tip = page.getByTestId('timeline-tooltip');
  await tip.filter({ hasText: 'hello from A #1' }).waitFor();
  assert.match(await tip.innerText(), /call/);
  await page.mouse.click(box.x + p.x, box.y + p.y);
  const details = page.getByTestId('timeline-details');
  await details.filter({ hasText: '#41 call' }).waitFor();
  assert.match(await details.innerText(), /OtpscopeDemo\.WorkerB\.handle_call\/3/);
  assert.match(await details.innerText(), /\{:ping, #PID<0\.139\.0>, "hello from A #1"\}/);
});

test('clicking a message arrow selects its receive event', async () => {
  await fitAll();
  await zoomTo(39, 300e3);
  const box = await canvasBox();
  const s = await locate(39); // WorkerA sends {:"$gen_call", ..., {:ping, ...}}
  const r = await locate(40); // WorkerB receives it
  assert.ok(Math.abs(r.x - s.x) > 10 && Math.abs(r.y - s.y) > 10, 'the arrow is long enough to click');
  const mid = { x: box.x + (s.x + r.x) / 2, y: box.y + (s.y + r.y) / 2 };
  await page.mouse.move(mid.x, mid.y);
  await page
    .getByTestId('timeline-tooltip')
    .filter({ hasText: /message OtpscopeDemo\.WorkerA → OtpscopeDemo\.WorkerB/ })
    .waitFor();
  await page.mouse.click(mid.x, mid.y);
  const details = page.getByTestId('timeline-details');
  await details.filter({ hasText: '#40 receive' }).waitFor();
  assert.match(await details.innerText(), /<0\.138\.0>/);
  assert.match(await details.innerText(), /message #39 → #40/);
});

test('shift+drag over every lane summarises the area (counts by kind, processes, messages)', async () => {
  // Open every group (the runtime's start folded) through the URL, as a shared link would.
  await openAllGroups(page);
  await page
    .locator('[title="processes shown / with events"]')
    .filter({ hasText: /^7\/7$/ })
    .waitFor();
  await fitAll();
  const box = await canvasBox();
  await page.mouse.move(box.x + 172, box.y + 30);
  await page.keyboard.down('Shift');
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 5, box.y + box.height - 5, { steps: 8 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  const summary = page.getByTestId('timeline-summary');
  await summary.filter({ hasText: /events in/ }).waitFor();
  const text = await summary.innerText();
  assert.match(text, /65\s+events in\s+7\s+of\s+7\s+processes/, text);
  assert.match(text, /messages sent/);
  assert.match(text, /receive\s+15/);
  assert.match(text, /send\s+14/);
  await page.screenshot({ path: `${screenshotDir}/timeline-area.png` });
  await page.keyboard.press('Escape');
  await summary.waitFor({ state: 'detached' });
});

test('screenshots in light and dark', async () => {
  await fitAll();
  await zoomTo(42, 90e3);
  const box = await canvasBox();
  const p = await locate(41);
  await page.mouse.click(box.x + p.x, box.y + p.y);
  await page.mouse.move(box.x + p.x, box.y + p.y);
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${screenshotDir}/timeline-light.png` });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${screenshotDir}/timeline-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });
});
