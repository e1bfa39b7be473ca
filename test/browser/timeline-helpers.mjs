// Shared steps for the timeline, sequence and charts browser tests: serve the
// built site, load a fixture through the file input, open a view by its tab.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startSite, openBrowser, fixture, screenshotDir } from './harness.mjs';

/** The built app (dist/), or another build when TIMELINE_SITE_ROOT names one (a dev page). */
export function startViewsSite() {
  const root = process.env.TIMELINE_SITE_ROOT;
  return root ? startSite(path.resolve(root)) : startSite();
}

/**
 * The set-up the view tests share: the site, a browser, one page with the demo
 * fixture loaded and the view `tab` open. Close with `closeView`.
 */
export async function openDemoView(tab) {
  const site = await startViewsSite();
  const { browser, context } = await openBrowser();
  await mkdir(screenshotDir, { recursive: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await loadFixture(page, site.origin, 'demo.zip');
  await openTab(page, tab);
  return { site, browser, page };
}

export async function closeView(view) {
  await view?.browser?.close();
  await view?.site?.close();
}

/** Loads archives/`name` through the app's file input. */
export async function loadFixture(page, origin, name) {
  await page.goto(origin + '/');
  await page.getByTestId('file-input').setInputFiles(fixture(`archives/${name}`));
}

/** Clicks the tab (or button) named `name`. */
export async function openTab(page, name) {
  const tab = page.getByRole('tab', { name: new RegExp(`^\\s*${name}\\b`, 'i') }).or(page.getByRole('button', { name: new RegExp(`^\\s*${name}\\s*$`, 'i') }));
  await tab.first().click({ timeout: 120_000 });
}

/** Parses "1.234 ms" / "12 µs" / "3 ns" / "1.2 s" to ns. */
export function parseNs(text) {
  const m = text.match(/(-?[\d.]+)\s*(ns|µs|ms|s)\b/);
  if (!m) throw new Error(`no duration in ${JSON.stringify(text)}`);
  return Number(m[1]) * { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 }[m[2]];
}

/** Opens every timeline group (the runtime's start folded) through the URL, as a shared link would. */
export async function openAllGroups(page) {
  await page.evaluate(() => {
    const q = new URLSearchParams(location.hash.slice(1));
    q.set('fold', '');
    location.hash = q.toString();
  });
}

/** Removes every lifeline of the sequence diagram (whatever was suggested or chosen before). */
export async function clearLifelines(page) {
  const chips = page.getByTestId('sequence-lifeline-chip');
  for (let n = await chips.count(); n > 0; n--) {
    await chips
      .first()
      .getByRole('button', { name: /^Remove/ })
      .click();
    await page.waitForFunction((k) => document.querySelectorAll('[data-testid="sequence-lifeline-chip"]').length === k, n - 1);
  }
}

/** Adds the sequence diagram's lifeline whose option reads `label`. */
export async function chooseLifeline(page, label) {
  const add = page.getByTestId('sequence-add');
  const option = add.locator('option', { hasText: label });
  await option.first().waitFor({ state: 'attached', timeout: 60_000 });
  await add.selectOption({ value: await option.first().getAttribute('value') });
}
