// Finding and focusing on the demo recording (test/fixtures/archives/demo.zip: WorkerA <0.139.0>
// calls WorkerB <0.138.0>): the search box finds and selects matches, next/previous move between
// them and each is shown in the timeline; the process table sorts, filters and selects; a process
// selected anywhere has its lane in view; "Show in the timeline" and F zoom to the selection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { startSite, openBrowser, fixture, screenshotDir, openPanel } from './harness.mjs';
import { parseNs } from './timeline-helpers.mjs';

let site, browser, context;

before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser({ viewport: { width: 1440, height: 900 } }));
  await mkdir(screenshotDir, { recursive: true });
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/** Loads the test fixture, or with `bundled` the app's own demo (more processes than fit a 700 px window). */
async function load(page, bundled = false, hash = '') {
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(site.origin + (bundled ? '/?demo' : '/') + hash);
  if (!bundled) await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  // The tests measure lanes and rows: wait until the tables behind the first view are built too.
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
}
const selectedRow = (page) => page.locator('[data-testid=process-tree] .row.sel [data-testid=process-row]');

const hashParam = (page, key) => page.evaluate((k) => new URLSearchParams(location.hash.slice(1)).get(k), key);
const selectedSeq = async (page) => Number(await hashParam(page, 'seq'));
const timelineReady = (page) =>
  page.waitForFunction(() => window.__otpscopeTimeline && window.__otpscopeTimeline.size().height > 150 && window.__otpscopeTimeline.lanes().length > 0, null, {
    timeout: 120_000,
  });

/** Waits until the event `seq` is drawn inside the canvas (the timeline moved to it). */
async function waitInView(page, seq) {
  await page.waitForFunction(
    async (s) => {
      const at = await window.__otpscopeTimeline.locate(s);
      const { width, height } = window.__otpscopeTimeline.size();
      return at !== null && at.x >= 170 && at.x <= width && at.y >= 24 && at.y <= height;
    },
    seq,
    { timeout: 60_000, polling: 200 },
  );
}

/** Waits until the timeline shows less than a tenth of `whole` ns. */
function waitZoomedIn(page, whole) {
  return page.waitForFunction((w) => {
    const m = document.querySelector('[data-testid=timeline-window]').textContent.match(/([\d.]+)\s*(ns|µs|ms|s)\b/);
    return m && Number(m[1]) * { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 }[m[2]] < w / 10;
  }, whole);
}

test('search: Enter selects the first match and opens it in the timeline, Enter / Shift+Enter step through the matches', async () => {
  const page = await context.newPage();
  await load(page);
  const box = page.getByTestId('search-input');
  await box.fill('WorkerA');
  await box.press('Enter');
  // The first match is the process itself (processes come first): selected everywhere.
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('pid')?.endsWith('<0.139.0>'), null, { timeout: 60_000 });
  assert.match(await page.getByTestId('search-count').innerText(), /^1 \/ \d+/);
  assert.equal(await selectedRow(page).getAttribute('data-pid'), '<0.139.0>');
  // From the Overview, a match opens the timeline.
  await page.getByTestId('panel-timeline').waitFor();
  await timelineReady(page);
  const total = Number((await page.getByTestId('search-count').innerText()).match(/\/ ([\d,]+)/)[1].replace(/,/g, ''));
  assert.ok(total > 3, `several matches (${total})`);

  // Zoom far in so that the next matches are outside the view: each is brought into view.
  await box.press('Escape');
  await page.getByTestId('search-matches').waitFor({ state: 'detached' });
  const canvas = page.getByTestId('timeline-canvas');
  for (let i = 0; i < 8; i++) await page.getByRole('button', { name: 'Zoom in' }).click();
  const seqs = [];
  for (let i = 2; i <= 4; i++) {
    await box.press('Enter');
    await page
      .getByTestId('search-count')
      .filter({ hasText: new RegExp(`^${i} /`) })
      .waitFor();
    await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).has('seq'));
    const seq = await selectedSeq(page);
    seqs.push(seq);
    await waitInView(page, seq);
    // The detail pane shows the same event.
    await page
      .getByTestId('event-detail')
      .filter({ hasText: `#${seq}` })
      .waitFor();
  }
  assert.equal(new Set(seqs).size, 3, `three different matches: ${seqs}`);
  assert.deepEqual(
    [...seqs].sort((a, b) => a - b),
    seqs,
    'in trace order',
  );
  await box.press('Shift+Enter');
  await page.getByTestId('search-count').filter({ hasText: /^3 \// }).waitFor();
  await page.waitForFunction((s) => new URLSearchParams(location.hash.slice(1)).get('seq') === String(s), seqs[1]);
  await waitInView(page, seqs[1]);
  // The list of matches names each one.
  await box.focus();
  const list = page.getByTestId('search-matches');
  await list.waitFor();
  assert.match(await list.innerText(), /process\s+OtpscopeDemo\.WorkerA/);
  await canvas.screenshot({ path: `${screenshotDir}/search-timeline.png` });
  await page.screenshot({ path: `${screenshotDir}/search-1440-light.png` });
  // Nothing found says so; markup in a query is text.
  await box.fill('<b>no such thing</b>');
  await box.press('Enter');
  await page.getByTestId('search-count').filter({ hasText: 'no match' }).waitFor();
  await page.close();
});

test('process table: sorts by a column both ways, filters, and a row selects the process everywhere', async () => {
  const page = await context.newPage();
  await load(page);
  await openPanel(page, 'processes');
  const rows = page.getByTestId('process-table-row');
  await rows.first().waitFor({ timeout: 60_000 });
  const column = async (i) => page.locator('[data-testid=process-table-row]').evaluateAll((trs, j) => trs.map((tr) => tr.children[j].textContent.trim()), i);
  const nums = (xs) => xs.map((x) => Number(x.replace(/[^\d.]/g, '')));
  // Busiest first by default (column 3 is Events); a click on the header sorts ascending, another descending.
  const events = nums(await column(3));
  assert.deepEqual(
    events,
    [...events].sort((a, b) => b - a),
  );
  assert.ok(events[0] > events.at(-1));
  await page.getByTestId('sort-messages_in').click();
  const msgsIn = nums(await column(4));
  assert.deepEqual(
    msgsIn,
    [...msgsIn].sort((a, b) => b - a),
    'numbers sort busiest first on the first click',
  );
  await page.getByTestId('sort-messages_in').click();
  const asc = nums(await column(4));
  assert.deepEqual(
    asc,
    [...asc].sort((a, b) => a - b),
  );
  assert.equal(await page.locator('th[aria-sort=ascending]').innerText(), 'Msgs in ▴');
  await page.getByTestId('sort-process').click();
  const names = await column(0);
  assert.deepEqual(
    names,
    [...names].sort((a, b) => a.localeCompare(b)),
  );

  await page.getByTestId('process-table-filter').fill('worker');
  await page
    .getByTestId('process-table-count')
    .filter({ hasText: /^2 of \d+ processes/ })
    .waitFor();
  assert.deepEqual(await column(0), ['OtpscopeDemo.WorkerA', 'OtpscopeDemo.WorkerB']);
  assert.deepEqual(nums(await column(4)), [7, 3], 'messages in, from the messages table');
  await rows.nth(1).click();
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('pid')?.endsWith('<0.138.0>'));
  assert.equal(await selectedRow(page).getAttribute('data-pid'), '<0.138.0>');
  assert.match(await page.getByTestId('process-detail').innerText(), /OtpscopeDemo\.WorkerB/);
  // Arrow keys move the selection, as in observer.
  await page.getByRole('grid', { name: 'Processes' }).press('ArrowUp');
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('pid')?.endsWith('<0.139.0>'));
  await page.getByTestId('process-table-filter').fill('');
  await page.screenshot({ path: `${screenshotDir}/processes-1440-light.png` });
  await page.close();
});

test('a process selected elsewhere has its lane in view in the timeline; Show in the timeline and F zoom to the selection', async () => {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1024, height: 700 });
  await load(page, true, '#fold='); // every group open: more lanes than the window shows
  // The process whose lane is drawn last (below the fold on a 700 px window).
  await openPanel(page, 'timeline');
  await timelineReady(page);
  const last = await page.evaluate(() => {
    let best = null;
    for (const { node, pid } of window.__otpscopeTimeline.lanes()) {
      const y = window.__otpscopeTimeline.laneTop(node, pid);
      if (y !== null && (best === null || y > best.y)) best = { node, pid, y };
    }
    return best;
  });
  const { height } = await page.evaluate(() => window.__otpscopeTimeline.size());
  assert.ok(last && last.y > height, `a lane below the fold (${last?.y} > ${height})`);
  // Select it in the process tree: its lane scrolls into view.
  await page.locator(`[data-testid=process-row][data-pid="${last.pid}"]`).first().click();
  await page.waitForFunction(
    ({ node, pid }) => {
      const y = window.__otpscopeTimeline.laneTop(node, pid);
      return y !== null && y >= 24 && y + 30 <= window.__otpscopeTimeline.size().height;
    },
    last,
    { timeout: 30_000 },
  );

  // An event selected from the search, then "Show in the timeline" from another view: zoomed in around it.
  const windowNs = async () => parseNs(await page.getByTestId('timeline-window').innerText());
  // The timeline opened fitted to the whole trace (nothing was zoomed yet).
  await page
    .getByTestId('timeline-window')
    .filter({ hasText: /visible/ })
    .waitFor();
  const whole = await windowNs();
  await openPanel(page, 'state');
  await page.getByTestId('search-input').fill(':ping');
  await page.getByTestId('search-input').press('Enter');
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).has('seq'), null, { timeout: 60_000 });
  const seq = await selectedSeq(page);
  await page.getByTestId('show-in-timeline').click();
  await page.getByTestId('panel-timeline').waitFor();
  await timelineReady(page);
  await waitInView(page, seq);
  await waitZoomedIn(page, whole);
  // Fit shows the whole trace again; F goes back to the selected event.
  await page.getByTestId('timeline-fit').click();
  await page.waitForFunction((w) => {
    const m = document.querySelector('[data-testid=timeline-window]').textContent.match(/([\d.]+)\s*(ns|µs|ms|s)\b/);
    return m && Number(m[1]) * { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 }[m[2]] > w * 0.9;
  }, whole);
  await page.getByTestId('timeline-canvas').focus();
  await page.keyboard.press('f');
  await waitInView(page, seq);
  await waitZoomedIn(page, whole);
  await page.screenshot({ path: `${screenshotDir}/show-in-timeline-1024-light.png` });
  await page.close();
});

test('the wheel scrolls the lanes, Ctrl+wheel zooms at the pointer, and zooming out stops at the trace', async () => {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1024, height: 700 });
  await load(page, true, '#fold='); // every group open: more lanes than the window shows
  await openPanel(page, 'timeline');
  await timelineReady(page);
  await page
    .getByTestId('timeline-window')
    .filter({ hasText: /visible/ })
    .waitFor();
  const visible = async () => parseNs(await page.getByTestId('timeline-window').innerText());
  const windowStart = async () => parseNs((await page.getByTestId('timeline-window').innerText()).split(',')[1]);
  const whole = await visible();
  const first = await page.evaluate(() => window.__otpscopeTimeline.lanes()[0]);
  const top = () => page.evaluate(({ node, pid }) => window.__otpscopeTimeline.laneTop(node, pid), first);
  const y0 = await top();
  const box = await page.getByTestId('timeline-canvas').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, 120);
  await page.waitForFunction(({ f, y }) => window.__otpscopeTimeline.laneTop(f.node, f.pid) < y, { f: first, y: y0 });
  assert.equal(await visible(), whole, 'the wheel alone does not zoom');
  // Ctrl+wheel zooms in at the pointer.
  await page.keyboard.down('Control');
  for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -300);
  await page.keyboard.up('Control');
  await page.waitForFunction((w) => {
    const m = document.querySelector('[data-testid=timeline-window]').textContent.match(/([\d.]+)\s*(ns|µs|ms|s)\b/);
    return m && Number(m[1]) * { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 }[m[2]] < w / 2;
  }, whole);
  assert.ok((await top()) < y0, 'zooming keeps the lanes where they were scrolled');
  // Far out: never wider than the whole trace (what Fit shows), never before its start.
  await page.keyboard.down('Control');
  for (let i = 0; i < 8; i++) await page.mouse.wheel(0, 600);
  await page.keyboard.up('Control');
  await page.waitForFunction((w) => {
    const m = document.querySelector('[data-testid=timeline-window]').textContent.match(/([\d.]+)\s*(ns|µs|ms|s)\b/);
    return m && Number(m[1]) * { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 }[m[2]] > w * 0.95;
  }, whole);
  assert.ok((await visible()) <= whole * 1.001, `${await visible()} <= ${whole}`);
  assert.ok((await windowStart()) >= -whole * 0.011, 'starts within the margin before the trace');
  await page.close();
});

// Regression test: a recording with no application of the user's (a script's processes) had every group folded,
// so the timeline opened with no lane.
test("lanes: with no application of the user's, the busiest group starts open and first", async () => {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(site.origin + '/');
  await page.getByTestId('file-input').setInputFiles(fixture('scenarios/signals.zip'));
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  await openPanel(page, 'timeline');
  await timelineReady(page);
  const shown = () =>
    page.evaluate(() =>
      window.__otpscopeTimeline
        .lanes()
        .filter((l) => window.__otpscopeTimeline.laneTop(l.node, l.pid) !== null)
        .map((l) => l.group),
    );
  await page.waitForFunction(() => window.__otpscopeTimeline.lanes().some((l) => window.__otpscopeTimeline.laneTop(l.node, l.pid) !== null));
  const open = await shown();
  const all = await page.evaluate(() => window.__otpscopeTimeline.lanes());
  const events = new Map();
  for (const l of all) events.set(l.group, (events.get(l.group) ?? 0) + l.events);
  const busiest = all.reduce((a, b) => (b.events > a.events ? b : a)).group;
  assert.equal(open[0], busiest, "the busiest process's group is open and first");
  assert.ok(events.size > 1);
  await page.close();
});

// Regression test: a script exercising OTP services (inets' HTTP server and client), no application of its own, opened
// with only the busiest group open: kernel's, the code server and the file server loading code, while the script's
// process and the HTTP handlers sat folded below it.
test("lanes: with no application of the user's, the runtime's core is folded and last; the script's and the services' groups open", async () => {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(site.origin + '/');
  await page.getByTestId('file-input').setInputFiles(fixture('scenarios/otp-services.zip'));
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  await openPanel(page, 'timeline');
  await timelineReady(page);
  await page.waitForFunction(() => window.__otpscopeTimeline.groups().length > 0);
  const groups = await page.evaluate(() => window.__otpscopeTimeline.groups());
  const lanes = await page.evaluate(() => window.__otpscopeTimeline.lanes().map((l) => ({ ...l, top: window.__otpscopeTimeline.laneTop(l.node, l.pid) })));
  // the busy processes that are not the runtime's code loading (httpd's request handler, httpc's handler and
  // manager) and the script's own process are in view
  const loading = [':code_server', ':erl_prim_loader', ':file_server_2'];
  const busy = lanes.filter((l) => l.events >= 40 && !loading.includes(l.name));
  assert.ok(busy.length >= 4, JSON.stringify(lanes.map((l) => [l.pid, l.name, l.events, l.group])));
  assert.deepEqual(
    busy.filter((l) => l.top === null),
    [],
  );
  // kernel's group (the code server, the file server) is folded, and after every open group
  const code = lanes.find((l) => l.name === ':code_server');
  assert.ok(code, 'the code server has a lane');
  assert.equal(code.top, null, "the code server's group is folded");
  const kernel = groups.findIndex((g) => g.group === code.group);
  assert.ok(groups[kernel].folded);
  const lastOpen = groups.map((g) => g.folded).lastIndexOf(false);
  assert.ok(lastOpen >= 0 && lastOpen < kernel, JSON.stringify(groups));
  await page.close();
});

// Regression test: groups ranked by their events in all put 100 quiet workers of a DynamicSupervisor (4,400 events)
// first and open, and folded the group of the driver and the supervisor (~3,100 events, one process 2,206): the busy
// processes sat below the fold in a closed group. A DynamicSupervisor started while recorded was no group either.
test('lanes: the group of the busiest process comes first and open, before a wider group of quiet workers', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('file-input').setInputFiles(fixture('scenarios/wide-group.zip'));
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 120_000 });
  await openPanel(page, 'timeline');
  await timelineReady(page);
  await page.waitForFunction(() => window.__otpscopeTimeline.lanes().some((l) => window.__otpscopeTimeline.laneTop(l.node, l.pid) !== null));
  const lanes = await page.evaluate(() => window.__otpscopeTimeline.lanes().map((l) => ({ ...l, top: window.__otpscopeTimeline.laneTop(l.node, l.pid) })));
  const groups = new Map();
  for (const l of lanes) groups.set(l.group, [...(groups.get(l.group) ?? []), l]);
  // The workers are a group of their own (their DynamicSupervisor's), with more events in all than the rest.
  const workers = [...groups].find(([g]) => g.endsWith('Scn.Wide'));
  assert.ok(workers, [...groups.keys()].join(', '));
  const sum = (ls) => ls.reduce((a, l) => a + l.events, 0);
  const busiest = lanes.reduce((a, b) => (b.events > a.events ? b : a));
  assert.notEqual(busiest.group, workers[0]);
  assert.ok(sum(workers[1]) > sum(groups.get(busiest.group)), 'the workers have more events in all');
  // The busiest process's group is open and on top; the workers' folded below it.
  const shown = lanes.filter((l) => l.top !== null);
  assert.deepEqual([...new Set(shown.map((l) => l.group))], [busiest.group]);
  const first = shown.reduce((a, b) => (b.top < a.top ? b : a));
  assert.equal(first.group, busiest.group);
  await page.close();
});

test('lanes: runtime groups start folded, a click folds or opens a group, P pins the selected lane on top; both survive a reload through the URL', async () => {
  const page = await context.newPage();
  await load(page);
  await openPanel(page, 'timeline');
  await timelineReady(page);
  const top = (pid) => page.evaluate((p) => window.__otpscopeTimeline.laneTop('nonode@nohost', p), pid);
  // The demo's own application (WorkerA, WorkerB) is open and first; the runtime's group is folded.
  await page.waitForFunction(() => window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.139.0>') !== null);
  assert.equal(await top('<0.44.0>'), null, ':application_controller is in a folded group');
  const rows = await page.evaluate(() => window.__otpscopeTimeline.lanes().map((l) => window.__otpscopeTimeline.laneTop(l.node, l.pid)));
  assert.ok(rows.filter((y) => y !== null).length >= 2);
  // Click the folded group's header (in the names column) to open it.
  const box = await page.getByTestId('timeline-canvas').boundingBox();
  const headerY = await page.evaluate(() => {
    const app = window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.138.0>');
    const b = window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.139.0>');
    return Math.max(app, b) + 30 + 10; // the row after the application's last lane: the folded group's header
  });
  await page.mouse.click(box.x + 40, box.y + headerY);
  await page.waitForFunction(() => window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.44.0>') !== null);
  assert.match(await hashParam(page, 'fold'), /^$|^[^<]*$/, 'the folds are in the URL');
  // Pin WorkerB: its lane moves to the top.
  await page.locator('[data-testid=process-row][data-pid="<0.138.0>"]').first().click();
  await page.getByTestId('timeline-canvas').focus();
  await page.keyboard.press('p');
  await page.waitForFunction(
    () =>
      window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.138.0>') < window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.139.0>') &&
      window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.138.0>') <= 24 + 20,
  );
  assert.equal(await hashParam(page, 'pin'), 'nonode@nohost|<0.138.0>');
  // A reload with the URL keeps both.
  const url = page.url();
  await page.goto('about:blank');
  await page.goto(url);
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  await openPanel(page, 'timeline');
  await timelineReady(page);
  await page.waitForFunction(() => window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.44.0>') !== null, null, { timeout: 60_000 });
  await page.waitForFunction(() => window.__otpscopeTimeline.laneTop('nonode@nohost', '<0.138.0>') <= 24 + 20);
  await page.screenshot({ path: `${screenshotDir}/lanes-pinned-1440-light.png` });
  await page.close();
});
