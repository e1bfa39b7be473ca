// A Timeline view with more arrows than a tile holds (test/scenarios/arrow_flood.exs: 16000 messages between a driver
// and 20 echo processes over the whole trace) says so in the toolbar, and says nothing once zoomed in far enough that
// the tile holds them all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, openBrowser } from './harness.mjs';
import { openTab, startViewsSite } from './timeline-helpers.mjs';

let site, browser, page;

before(async () => {
  site = await startViewsSite();
  const b = await openBrowser();
  browser = b.browser;
  page = await b.context.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
});
after(async () => {
  await browser?.close();
  await site?.close();
});

// Regression test: past 5000 message arrows a tile left the later ones out and nothing said so: the gaps read as quiet.
test('a view whose arrows were capped says so; a narrower one that holds them all does not', async () => {
  await page.goto(site.origin + '/');
  await page.getByTestId('file-input').setInputFiles(fixture('scenarios/arrow-flood.zip'));
  await openTab(page, 'Timeline');
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  const note = page.getByTestId('arrows-capped');
  await note.waitFor({ timeout: 120_000 });
  assert.match(await note.innerText(), /^5,0\d\d of \d{1,3},\d{3} arrows$/);
  assert.match(await note.getAttribute('title'), /left out/);
  // zoomed in (W): a few hundred microseconds hold far fewer arrows
  await page
    .locator('canvas')
    .first()
    .click({ position: { x: 400, y: 10 } });
  for (let i = 0; i < 8; i++) await page.getByRole('button', { name: 'Zoom in' }).click();
  await note.waitFor({ state: 'detached', timeout: 120_000 });
  const tile = await page.evaluate(() => window.__otpscopeTimeline.tile());
  assert.ok(tile.arrows > 0 && tile.arrows < 5000, `arrows in the zoomed tile: ${tile.arrows}`);
});
