// Small windows and themes: at 1024x700 no top-bar control is cut or wrapped (the archive's name elides in the
// middle, "Copy as Markdown" becomes an icon), no tab is clipped (those that do not fit are in the "More" menu),
// an empty detail pane folds to a strip and opens with a selection, wide tables scroll sideways with their
// first column kept; every view is screenshotted at 1440x900 and 1024x700 in both themes
// (test-results/views/<size>-<theme>-<view>.png) for a person to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { startSite, openBrowser, screenshotDir, openPanel, settled } from './harness.mjs';

let site;
before(async () => {
  site = await startSite();
  await mkdir(`${screenshotDir}/views`, { recursive: true });
});
after(async () => {
  await site?.close();
});

const PANELS = [
  'overview',
  'processes',
  'timeline',
  'sequence',
  'state',
  'calls',
  'flame',
  'charts',
  'causality',
  'anomalies',
  'source',
  'sql',
  'expectations',
  'compare',
];

async function openDemo(viewport, colorScheme = 'light') {
  const { browser, context } = await openBrowser({ viewport, colorScheme });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(site.origin + '/?demo');
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  return { browser, page };
}

/** Tabs in the strip whose box is cut by the strip's edge. */
const clippedTabs = (page) =>
  page.evaluate(() => {
    const strip = document.querySelector('[data-testid=tabs]').getBoundingClientRect();
    return [...document.querySelectorAll('[data-testid=tabs] > [role=tab]')]
      .filter((t) => {
        const r = t.getBoundingClientRect();
        return r.left < strip.left - 0.5 || r.right > strip.right + 0.5;
      })
      .map((t) => t.textContent);
  });

/**
 * Top-bar controls that do not show whole: text on more than one line, text cut by its own box, or a box
 * reaching past the bar or past the box that clips it (the source chips' row). Each as `name: problem`.
 */
const cutTopBarControls = (page) =>
  page.evaluate(() => {
    const bar = document.querySelector('.topbar').getBoundingClientRect();
    const sources = document.querySelector('[data-testid=sources]').getBoundingClientRect();
    const lines = (el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
    };
    const out = [];
    const controls = document.querySelectorAll(
      '.topbar button:not([hidden]), .topbar select, .topbar input:not([type=file]), [data-testid=engine-status], [data-testid=source-chip]',
    );
    for (const el of controls) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const name = el.dataset.testid ?? el.getAttribute('aria-label') ?? el.textContent.trim();
      if (lines(el) > 1) out.push(`${name}: wraps onto ${lines(el)} lines`);
      if (el.tagName !== 'INPUT' && el.tagName !== 'SELECT' && el.scrollWidth > el.clientWidth + 1) out.push(`${name}: text cut by its box`);
      if (r.left < bar.left - 0.5 || r.right > bar.right + 0.5) out.push(`${name}: outside the bar`);
      if (el.dataset.testid === 'source-chip' && r.right > sources.right + 0.5) out.push(`${name}: cut by the sources row`);
    }
    return out;
  });

test('1024x700: no clipped tab, the rest in a menu; the detail pane folds when empty; tables keep their first column', async () => {
  const { browser, page } = await openDemo({ width: 1024, height: 700 });
  try {
    // The top bar: every control whole on one line; the archive's name whole (it is short) with its details on hover.
    await settled(page);
    assert.deepEqual(await cutTopBarControls(page), []);
    const chip = page.getByTestId('source-chip');
    assert.equal(await chip.innerText(), 'demo.zip');
    assert.match(await chip.getAttribute('title'), /^demo\.zip · /);
    assert.equal(await page.getByTestId('copy-report').getAttribute('aria-label'), 'Copy as Markdown');
    // A long name elides in the middle: its start and its extension stay, the full name is on hover.
    await page.evaluate(() => {
      const c = document.querySelector('[data-testid=source-chip]');
      c.querySelector('.head').textContent = 'bank-ledger-production-2026-12-02T08';
      c.querySelector('.tail').textContent = '1500.zip';
    });
    await settled(page);
    assert.deepEqual(await cutTopBarControls(page), []);
    const shown = await chip.evaluate((c) => {
      const head = c.querySelector('.head');
      return { cut: head.scrollWidth > head.clientWidth, tail: c.querySelector('.tail').getBoundingClientRect().right <= c.getBoundingClientRect().right };
    });
    assert.deepEqual(shown, { cut: true, tail: true });
    const pane = () => page.getByTestId('detailpane').evaluate((el) => Math.round(el.getBoundingClientRect().width));
    // Nothing selected: the detail pane is a thin strip, so the views get the width.
    assert.ok((await pane()) <= 32, `folded detail pane ${await pane()} px`);
    await page.getByTestId('process-row').first().click();
    await page.getByTestId('detail-splitter').waitFor();
    assert.ok((await pane()) >= 200, `open with a selection: ${await pane()} px`);
    // Not every tab fits now: none is cut, the rest are in the menu, and every view can be opened.
    await settled(page);
    assert.deepEqual(await clippedTabs(page), []);
    await page.getByTestId('tabs-more').click();
    const menu = await page.getByTestId('tabs-menu').innerText();
    assert.match(menu, /Expectations/);
    const inStrip = await page.locator('[data-testid=tabs] > [role=tab]').count();
    const inMenu = await page.locator('[data-testid=tabs-menu] [role=menuitem]').count();
    assert.equal(inStrip + inMenu, PANELS.length);
    await page.getByTestId('tabs-menu').getByText('Expectations').click();
    await page.getByTestId('panel-expectations').waitFor();
    assert.equal(await page.getByTestId('tab-expectations').getAttribute('aria-selected'), 'true', 'the open view is in the strip');
    await settled(page);
    assert.deepEqual(await clippedTabs(page), []);
    // The user can fold it with something selected, and it stays folded for the next selection.
    await page.getByTestId('detail-toggle').click();
    assert.ok((await pane()) <= 32);
    await page.getByTestId('process-row').nth(1).click();
    assert.ok((await pane()) <= 32);
    await page.getByTestId('detail-toggle').click();
    assert.ok((await pane()) >= 200);

    // A wide table scrolls sideways and keeps its first column.
    await openPanel(page, 'processes');
    await page.getByTestId('process-table-row').first().waitFor();
    const scroller = page.locator('[data-testid=process-table] .scroll');
    assert.ok(await scroller.evaluate((el) => el.scrollWidth > el.clientWidth + 50), 'the table is wider than the view');
    const firstCellLeft = () =>
      page
        .locator('[data-testid=process-table-row] td')
        .first()
        .evaluate((td) => Math.round(td.getBoundingClientRect().left));
    const left = await firstCellLeft();
    const lastHeader = page.locator('[data-testid=process-table] th').last();
    const headerLeft = await lastHeader.evaluate((th) => th.getBoundingClientRect().left);
    await scroller.evaluate((el) => (el.scrollLeft = el.scrollWidth));
    assert.ok((await lastHeader.evaluate((th) => th.getBoundingClientRect().left)) < headerLeft - 50, 'it scrolled');
    assert.equal(await firstCellLeft(), left, 'the first column stays');
    await page.screenshot({ path: `${screenshotDir}/views/1024-light-processes-scrolled.png` });

    // The Timeline's toolbar: its legend gives up its room word by word, whole (it showed a cut "me" of "message").
    await openPanel(page, 'timeline');
    await page.getByTestId('detail-toggle').click(); // the detail pane folded: the legend has some room
    await page.getByTestId('timeline-legend').waitFor({ state: 'attached' });
    await settled(page);
    // Its words, at this width and at narrower ones: each shown whole or not at all.
    const cut = [];
    for (const px of [null, 150, 120, 90, 60, 30, 10]) {
      const words = await page.getByTestId('timeline-legend').evaluate((box, px) => {
        box.style.flex = px === null ? '' : `0 0 ${px}px`;
        const b = box.getBoundingClientRect();
        const out = [];
        const walk = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
        for (let t = walk.nextNode(); t; t = walk.nextNode()) {
          if (!t.textContent.trim()) continue;
          const range = document.createRange();
          range.selectNodeContents(t);
          const r = range.getBoundingClientRect();
          const shown = r.width > 0 && r.left < b.right - 0.5 && r.top < b.bottom - 0.5;
          out.push({ px, text: t.textContent.trim(), shown, cut: shown && (r.right > b.right + 0.5 || r.bottom > b.bottom + 0.5) });
        }
        return out;
      }, px);
      cut.push(...words.filter((w) => w.cut));
    }
    await page.getByTestId('timeline-legend').evaluate((box) => (box.style.flex = ''));
    assert.deepEqual(cut, []);
  } finally {
    await browser.close();
  }
});

for (const [w, h] of [
  [1440, 900],
  [1024, 700],
])
  for (const theme of ['light', 'dark'])
    test(`every view at ${w}x${h}, ${theme}: no clipped tab, no page overflow (screenshots)`, async () => {
      const { browser, page } = await openDemo({ width: w, height: h }, theme);
      try {
        await page.getByTestId('process-row').filter({ hasText: 'WorkerA' }).first().click();
        for (const p of PANELS) {
          await openPanel(page, p);
          await page.waitForTimeout(600); // let the view's queries answer before the picture; nothing is asserted on time
          await settled(page);
          assert.deepEqual(await clippedTabs(page), [], p);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
          assert.ok(overflow <= 0, `${p}: the page is ${overflow} px wider than the window`);
          await page.screenshot({ path: `${screenshotDir}/views/${w}-${theme}-${p}.png` });
        }
      } finally {
        await browser.close();
      }
    });

test('the theme switch overrides the system setting and is remembered across visits', async () => {
  const { browser, context } = await openBrowser({ colorScheme: 'dark' });
  try {
    const page = await context.newPage();
    await page.goto(site.origin + '/');
    const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const theme = page.getByTestId('theme-select');
    await theme.waitFor();
    // Follows the system by default.
    assert.equal(await theme.inputValue(), 'system');
    assert.equal(await bg(), 'rgb(15, 17, 23)');
    await theme.selectOption('light');
    assert.equal(await bg(), 'rgb(255, 255, 255)');
    await page.reload();
    await page.getByTestId('theme-select').waitFor();
    assert.equal(await page.getByTestId('theme-select').inputValue(), 'light');
    assert.equal(await bg(), 'rgb(255, 255, 255)', 'kept across visits, over the dark system setting');
    await page.getByTestId('theme-select').selectOption('system');
    assert.equal(await bg(), 'rgb(15, 17, 23)');
    // "system" follows the OS when it changes.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => getComputedStyle(document.documentElement).backgroundColor === 'rgb(255, 255, 255)');
    await page.getByTestId('theme-select').selectOption('dark');
    await page.reload();
    await page.getByTestId('theme-select').waitFor();
    assert.equal(await bg(), 'rgb(15, 17, 23)', 'dark over a light system');
  } finally {
    await browser.close();
  }
});

test('? lists the shortcuts in every view (the timeline its own), and WASD moves the timeline from outside it', async () => {
  const { browser, page } = await openDemo({ width: 1440, height: 900 });
  try {
    for (const p of PANELS) {
      await openPanel(page, p);
      // The timeline answers ? itself once it is on screen (its panel can show before the component has mounted).
      if (p === 'timeline') await page.getByTestId('timeline-help-button').waitFor();
      await page.locator('body').click({ position: { x: 5, y: 5 } }); // focus outside any text field
      await page.keyboard.press('?');
      if (p === 'timeline') {
        await page.getByTestId('timeline-help').waitFor();
        await page.keyboard.press('Escape');
        await page.getByTestId('timeline-help').waitFor({ state: 'detached' });
        assert.equal(await page.getByTestId('help').count(), 0, 'one list at a time');
        continue;
      }
      await page.getByTestId('help').waitFor();
      if (p === 'processes') assert.match(await page.getByTestId('help-view').innerText(), /show the process in the timeline/);
      await page.keyboard.press('Escape');
      await page.getByTestId('help').waitFor({ state: 'detached' });
    }
    // Typing ? in a text field is text.
    await page.getByTestId('search-input').fill('');
    await page.getByTestId('search-input').press('?');
    assert.equal(await page.getByTestId('help').count(), 0);
    assert.equal(await page.getByTestId('search-input').inputValue(), '?');
    // WASD reaches the timeline while the focus is on a tab (not a text field).
    await openPanel(page, 'timeline');
    await page
      .getByTestId('timeline-window')
      .filter({ hasText: /visible/ })
      .waitFor();
    const before = await page.getByTestId('timeline-window').innerText();
    await page.getByTestId('tab-timeline').focus();
    await page.keyboard.down('w');
    await page.waitForFunction((b) => document.querySelector('[data-testid=timeline-window]').textContent !== b, before);
    await page.keyboard.up('w');
  } finally {
    await browser.close();
  }
});
