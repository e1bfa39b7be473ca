// First view first: after a load the Overview and the process list show as soon as events and processes are
// built; the other tables build behind them (a corner panel lists them as they finish) and the Overview's
// counts and anomalies fill in. A cancel stops the rest cleanly; what it left is built on request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openBrowser, blockOtherOrigins, fixture, openPanel } from './harness.mjs';

let site, browser, context;

before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser());
  await blockOtherOrigins(context, site.origin);
});
after(async () => {
  await browser?.close();
  await site?.close();
});

async function ready(page) {
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
}

/**
 * Records, at every DOM change after a load, whether tables are still building and what each probe sees:
 * \`[selector, 'has']\` whether it is on the page, \`[selector, 'text']\` its text (null: absent), \`[selector, 'states']\`
 * the build panel's tables as \`table:state\`.
 */
async function watch(page, probes) {
  await page.evaluate((probes) => {
    window.__seen = [];
    const q = (s) => document.querySelector(s);
    const see = {
      has: (s) => q(s) !== null,
      text: (s) => q(s)?.textContent?.trim() ?? null,
      states: (s) => [...document.querySelectorAll(s)].map((li) => `${li.dataset.table}:${li.dataset.state}`).join(' '),
    };
    new MutationObserver(() => {
      if (!q('.app.loaded')) return;
      const seen = { tables: q('.app')?.dataset.tables };
      for (const [name, [selector, how]] of Object.entries(probes)) seen[name] = see[how](selector);
      window.__seen.push(seen);
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }, probes);
}

/** What the Overview shows while tables build. */
const watchOverview = (page) =>
  watch(page, {
    first: ['[data-testid=process-row]', 'has'],
    processes: ['[data-testid=count-processes]', 'has'],
    countsBuilding: ['[data-testid=count-messages] [data-testid=building]', 'has'],
    anomaliesBuilding: ['[data-testid=overview-anomalies] [data-testid=building]', 'has'],
    panel: ['[data-testid=build-table]', 'states'],
  });

test('the Overview shows events and processes while the other tables build, lists them as they finish, then fills in', async () => {
  const page = await context.newPage();
  await ready(page);
  await watchOverview(page);
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  await page.getByTestId('top-anomalies').or(page.getByText('No anomalies found.')).waitFor({ timeout: 60_000 });
  const seen = await page.evaluate(() => window.__seen);
  // The Overview's first part and the process list were on screen while the counts and anomalies were building.
  assert.ok(
    seen.some((s) => s.first && s.processes && s.tables === 'building' && s.countsBuilding && s.anomaliesBuilding),
    JSON.stringify(seen.slice(0, 5)),
  );
  // The corner panel listed the tables behind the first view, some done while others were not yet.
  assert.ok(
    seen.some((s) => /:ready/.test(s.panel) && /:(waiting|building)/.test(s.panel)),
    seen.map((s) => s.panel).join('\n'),
  );
  // Filled in: the counts are the engine's, nothing says building, the panel is gone.
  const counts = await page.evaluate(() => window.__otpscopeEngine.views.overviewCounts());
  for (const k of ['messages', 'calls', 'states'])
    assert.equal((await page.getByTestId(`count-${k}`).innerText()).split('\n')[0].replace(/[^\d]/g, ''), String(counts[k]), k);
  assert.equal(await page.getByTestId('building').count(), 0);
  assert.equal(await page.getByTestId('build-panel').count(), 0);
  await page.close();
});

test('cancel while the tables build behind the views: what is built stays, the rest is built on request', async () => {
  const page = await context.newPage();
  await ready(page);
  // The tables behind the first view wait until the cancel is clicked: the demo's build is small, and on a busy or a
  // fast machine it could otherwise end before the button is found.
  await page.evaluate(() => window.__otpscopeEngine.holdBuilds(true));
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.getByTestId('build-panel-cancel').click({ timeout: 120_000 });
  // Released after the cancel (the page sent it on the click, before this): the held loop sees it and ends.
  await page.evaluate(() => window.__otpscopeEngine.holdBuilds(false));
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 60_000 });
  // The first view stays usable.
  await page.getByTestId('process-row').first().waitFor();
  assert.match(await page.getByTestId('count-processes').innerText(), /\d/);
  // The Overview says its anomalies were not built, and offers to build them.
  await page.getByTestId('building-stopped').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('overview-anomalies').innerText(), /cancelled/);
  // "Build now" builds what the Overview still lacks, and it fills in.
  await page.getByTestId('build-now').click();
  await page.getByTestId('top-anomalies').or(page.getByText('No anomalies found.')).waitFor({ timeout: 120_000 });
  await page.getByTestId('building-stopped').waitFor({ state: 'detached', timeout: 60_000 });
  const counts = await page.evaluate(() => window.__otpscopeEngine.views.overviewCounts());
  assert.equal((await page.getByTestId('count-states').innerText()).split('\n')[0].replace(/[^\d]/g, ''), String(counts.states));
  // The other views work as after any load.
  await openPanel(page, 'calls');
  const groups = await page.evaluate(() => window.__otpscopeEngine.views.callGroups());
  assert.ok(groups.length > 0);
  await page.locator('[data-testid=panel-calls]').getByText(groups[0].shape, { exact: false }).first().waitFor({ timeout: 60_000 });
  await page.close();
});

test('a view whose tables are still building shows what it waits for, not its own empty text, then fills in', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/#p=calls');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  await watch(page, {
    held: ['[data-testid=panel-calls] [data-testid=panel-held]', 'has'],
    building: ['[data-testid=building]', 'text'],
    text: ['[data-testid=panel-calls]', 'text'],
  });
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  const groups = await page.evaluate(() => window.__otpscopeEngine.views.callGroups());
  assert.ok(groups.length > 0);
  await page.locator('[data-testid=panel-calls]').getByText(groups[0].shape, { exact: false }).first().waitFor({ timeout: 60_000 });
  const seen = await page.evaluate(() => window.__seen);
  const building = seen.filter((s) => s.tables === 'building' && s.text !== null);
  // The load showed the Calls view while its tables were building: the line named them and the view held back.
  assert.ok(
    building.some((s) => s.held && /Building .*calls/.test(s.building ?? '')),
    JSON.stringify(building.slice(0, 5)),
  );
  assert.deepEqual(
    building.filter((s) => s.held && s.text !== ''),
    [],
    'nothing of the view shows while it is held',
  );
  await page.close();
});

test('the Timeline draws the events as soon as they are in, then spans and arrows once their tables are built', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/#p=timeline');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  // Nothing behind the first view is built until released: the Timeline must draw from events alone meanwhile.
  await page.evaluate(() => window.__otpscopeEngine.holdBuilds(true));
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.waitForFunction(() => (window.__otpscopeTimeline?.tile()?.marks ?? 0) > 0, null, { timeout: 120_000 });
  const early = await page.evaluate(() => ({ tile: window.__otpscopeTimeline.tile(), tables: document.querySelector('.app')?.dataset.tables }));
  assert.equal(early.tables, 'building');
  assert.deepEqual({ ...early.tile, marks: early.tile.marks > 0 }, { marks: true, spans: 0, arrows: 0, partial: true });
  // The first tile is asked once (setting the first view asked for it, then it was asked again: at 1M events a
  // second marks query of 0.1-0.2 s in the worker's queue before the next one).
  const asks = await page.evaluate(() => window.__otpscopeTimeline.asks());
  const repeats = asks.filter((a, i) => i > 0 && JSON.stringify(a) === JSON.stringify(asks[i - 1]));
  assert.deepEqual(repeats, [], JSON.stringify(asks));
  await page.evaluate(() => window.__otpscopeEngine.holdBuilds(false));
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  // The whole tile replaces the marks alone: the same marks, and now the messages' arrows.
  await page.waitForFunction(() => window.__otpscopeTimeline.tile()?.partial === false, null, { timeout: 60_000 });
  const late = await page.evaluate(() => window.__otpscopeTimeline.tile());
  assert.equal(late.marks, early.tile.marks);
  assert.ok(late.arrows > 0, JSON.stringify(late));
  const all = await page.evaluate(() => window.__otpscopeTimeline.asks());
  assert.deepEqual(
    all.filter((a, i) => i > 0 && JSON.stringify(a) === JSON.stringify(all[i - 1])),
    [],
    JSON.stringify(all),
  );
  await page.close();
});

test('a page whose link opens the Timeline fetches its module before any load', async () => {
  // Regression test: the module came only once the load had answered (0.3-0.5 s at 1M events on a busy machine),
  // and the Timeline asked for its lanes after the build behind had begun a statement of a second.
  const page = await context.newPage();
  await page.goto(site.origin + '/#p=timeline');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /\/Timeline-[^/]*\.js$/.test(e.name)), null, { timeout: 30_000 });
  assert.equal(await page.locator('.app.loaded').count(), 0, 'nothing loaded yet');
  await page.close();
});

test('a marks-alone tile answered after the tables were built is replaced by the whole tile', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/#p=timeline');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  // The Timeline asks for the marks alone while the tables build; that answer is held until they are all built.
  await page.evaluate(() => window.__otpscopeEngine.holdBuilds(true));
  await page.evaluate(() => window.__otpscopeEngine.holdAnswers('timelineMarks'));
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.waitForFunction(() => window.__otpscopeEngine.holdAnswers().then((n) => n > 0), null, { timeout: 120_000, polling: 100 });
  assert.equal(await page.evaluate(() => window.__otpscopeTimeline?.tile() ?? null), null, 'no tile drawn while its answer is held');
  await page.evaluate(() => window.__otpscopeEngine.holdBuilds(false));
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  await page.evaluate(() => window.__otpscopeEngine.holdAnswers(null));
  // The late marks-alone answer is asked again whole: the messages' arrows come.
  await page.waitForFunction(() => window.__otpscopeTimeline.tile()?.partial === false, null, { timeout: 60_000 });
  const tile = await page.evaluate(() => window.__otpscopeTimeline.tile());
  assert.ok(tile.marks > 0 && tile.arrows > 0, JSON.stringify(tile));
  await page.close();
});
