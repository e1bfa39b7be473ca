// Each view shows what its engine module answers (src/engine/views): on the demo recording the site ships
// (public/demo/demo.zip: workers calling each other, crashes and restarts, a timeout, a flood), the page asks the engine
// through the app's handle (`window.__otpscopeEngine`, the same bridge the views use) and the test compares
// the answer with the rows and labels in the DOM: Overview, process tree, Processes, Anomalies, Causality,
// Calls, State (state, mailbox, calls in flight), Source, SQL console and Expectations. One page load; the
// views are visited in turn. (Flame: flame.test.mjs; Compare: compare.test.mjs against the CLI.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSite, openLoaded, openPanel } from './harness.mjs';

const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/demo/demo.zip');
let site, browser, page;

before(async () => {
  site = await startSite();
  ({ browser, page } = await openLoaded(site, DEMO));
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/** Calls `views.<name>(...args)` on the app's engine handle, in the page. */
const engine = (name, ...args) => page.evaluate(({ name, args }) => window.__otpscopeEngine.views[name](...args), { name, args });
/** The text of each cell of each row of a table (`title` where a cell keeps its full text there). */
const cells = (locator, useTitle = false) =>
  locator.evaluateAll(
    (trs, useTitle) => trs.map((tr) => [...tr.children].map((td) => (useTitle && td.hasAttribute('title') ? td.getAttribute('title') : td.textContent.trim()))),
    useTitle,
  );
const hashParam = (key) => page.evaluate((k) => new URLSearchParams(location.hash.slice(1)).get(k), key);
const localeNumber = (n) => page.evaluate((n) => Number(n).toLocaleString(), n);

test('Overview: totals, nodes, events by kind and the top anomalies the engine summarized', async () => {
  await page.getByTestId('overview-nodes').waitFor({ timeout: 60_000 });
  // The counts and anomalies fill in once their tables are built behind the first view.
  await page.getByTestId('top-anomalies').waitFor({ timeout: 120_000 });
  const o = await engine('overview', { anomalies: 8 });
  const cards = await page.locator('[data-testid=overview] .card .big').allInnerTexts();
  const { totals } = o;
  assert.deepEqual(cards.slice(0, 5), await Promise.all([totals.events, totals.processes, totals.messages, totals.calls, totals.states].map(localeNumber)));
  const nodes = await cells(page.locator('[data-testid=overview-nodes] tbody tr'));
  assert.deepEqual(
    nodes.map((r) => r.slice(0, 3)),
    await Promise.all(o.nodes.map(async (n) => [n.node, await localeNumber(n.events), await localeNumber(n.processes)])),
  );
  const kinds = await cells(page.locator('[data-testid=kinds] tbody tr'));
  assert.deepEqual(
    kinds.map((r) => r.slice(0, 2)),
    await Promise.all(o.kinds.map(async (k) => [k.kind, await localeNumber(k.n)])),
  );
  assert.ok(o.anomalies.rows.length > 0);
  const top = await cells(page.locator('[data-testid=top-anomalies] tbody tr'), true);
  assert.deepEqual(
    top.map((r) => [r[0], r[1], r[4]]),
    o.anomalies.rows.map((a) => [a.severity, a.kind, a.summary]),
  );
});

test('Process tree: every process the engine lists, with the exited ones', async () => {
  const all = await engine('processList');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=process-row]').length === n, all.length, { timeout: 30_000 });
  const shown = await page.getByTestId('process-row').evaluateAll((rows) => rows.map((r) => r.dataset.pid));
  assert.deepEqual([...shown].sort(), all.map((p) => p.pid).sort());
  assert.match(await page.getByTestId('process-tree').innerText(), new RegExp(`${all.length} processes at the cursor`));
});

test('Processes: the engine process table, row for row, busiest first', async () => {
  await openPanel(page, 'processes');
  await page.getByTestId('process-table-row').first().waitFor({ timeout: 60_000 });
  const want = await engine('processTable');
  // Busiest first; the order among equally busy processes is the table's own.
  const byKey = new Map(want.map((r) => [`${r.node}|${r.pid}`, r]));
  const keys = await page.getByTestId('process-table-row').evaluateAll((rows) => rows.map((r) => r.dataset.key));
  assert.deepEqual([...keys].sort(), [...byKey.keys()].sort());
  // The counted columns of each row, found by their headers.
  const headers = (await page.locator('[data-testid=process-table] thead th').allInnerTexts()).map((h) => h.replace(/[▾▴]/g, '').trim());
  const rows = await cells(page.getByTestId('process-table-row'));
  const columns = { Events: 'events', 'Msgs in': 'messages_in', 'Msgs out': 'messages_out', 'Mailbox peak': 'mailbox_peak', 'State changes': 'state_changes' };
  for (const [header, field] of Object.entries(columns)) {
    const i = headers.indexOf(header);
    assert.ok(i >= 0, `${header} in ${headers.join('|')}`);
    assert.deepEqual(
      rows.map((r) => r[i]),
      await Promise.all(keys.map((k) => localeNumber(byKey.get(k)[field]))),
      header,
    );
  }
  const events = keys.map((k) => byKey.get(k).events);
  assert.deepEqual(
    events,
    [...events].sort((a, b) => b - a),
  );
});

test('Anomalies: the engine list in its order, and the evidence of the one opened', async () => {
  await openPanel(page, 'anomalies');
  const list = page.locator('[data-testid=anomaly-list] tbody tr.clickable');
  await list.first().waitFor({ timeout: 60_000 });
  const { rows: want } = await engine('anomalyList');
  const shown = await cells(list, true);
  assert.deepEqual(
    shown.map((r) => [r[0], r[1], r[4], r[5]]),
    want.map((a) => [a.severity, a.kind, a.summary, String(a.evidence_count)]),
  );
  // Durations in the texts read as people write them (the restart window of 5000 ms).
  assert.ok(
    want.some((a) => /^child OtpscopeDemo\.Crasher restarted \d+ times within 5 s by /.test(a.summary)),
    want.map((a) => a.summary).join('\n'),
  );
  // The first with evidence beyond its own event: open it.
  const i = want.findIndex((a) => a.evidence_count > 1 && a.seq !== null);
  await list.nth(i).click();
  await page.getByTestId('evidence-event').first().waitFor();
  const evidence = await engine('anomalyEvidence', want[i].anomaly_id);
  assert.deepEqual(
    await page.getByTestId('evidence-event').allInnerTexts(),
    evidence.map((e) => `#${e.seq} ${e.kind}`),
  );
  // Opening it selected its event (for the causal chain below).
  await page.waitForFunction((s) => new URLSearchParams(location.hash.slice(1)).get('seq') === String(s), want[i].seq);
});

test('Causality: the chain of causes of the selected event, as the engine walks it', async () => {
  const seq = Number(await hashParam('seq'));
  await openPanel(page, 'causality');
  await page.locator('[data-testid=causal-list] li').first().waitFor({ timeout: 60_000 });
  // The view asks for causes four levels deep by default.
  const chain = await engine('causalChain', seq, 'causes', 4);
  const shown = await page
    .locator('[data-testid=causal-list] li .item')
    .evaluateAll((items) => items.map((b) => [b.querySelector('.k').textContent.trim(), b.querySelector('.muted.mono').textContent.trim().split(' ')[0]]));
  assert.deepEqual(
    shown,
    chain.events.map((e) => [e.kind, `#${e.seq}`]),
  );
  assert.ok(chain.events.some((e) => e.seq === seq));
});

test('Calls: groups, calls with no reply and the slowest calls, as the engine answers them', async () => {
  await openPanel(page, 'calls');
  await page.locator('[data-testid=calls-table] tbody tr').first().waitFor({ timeout: 60_000 });
  const groups = await engine('callGroups');
  const shownGroups = await cells(page.locator('[data-testid=calls-table] tbody tr'));
  assert.deepEqual(
    shownGroups.map((r) => [r[0], r[1], r[2], r[6]]),
    groups.map((g) => [g.callee ?? '', g.shape ?? '', String(g.n), String(g.timeouts)]),
  );
  const slowest = await engine('slowestCalls', null);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=calls-slowest] tbody tr').length === n, slowest.length);
  const shownSlow = await cells(page.locator('[data-testid=calls-slowest] tbody tr'), true);
  assert.deepEqual(
    shownSlow.map((r) => r[2]),
    slowest.map((c) => c.request),
  );
  const unanswered = await engine('unansweredCalls', null);
  const shownUn = await cells(page.locator('[data-testid=calls-timeouts] tbody tr'), true);
  assert.deepEqual(
    shownUn.map((r) => [r[0], r[2]]),
    unanswered.map((c) => [c.outcome, c.request]),
  );
});

test('State: the state, mailbox and calls in flight of WorkerA at the cursor', async () => {
  const a = (await engine('processList')).find((p) => p.name === 'OtpscopeDemo.WorkerA');
  const WORKER_A = { node: a.node, pid: a.pid };
  await page.locator(`[data-testid=process-row][data-pid="${WORKER_A.pid}"]`).click();
  await openPanel(page, 'state');
  await page.getByTestId('state-term').waitFor({ timeout: 60_000 });
  const t = await hashParam('t');
  const at = t === null ? (await engine('traceSpan')).end : BigInt(t);
  const [state, mailbox, inflight] = await Promise.all([
    engine('stateAt', WORKER_A, at),
    engine('mailboxAt', WORKER_A, at),
    engine('callsInFlight', WORKER_A, at),
  ]);
  assert.ok(state !== null);
  assert.match(await page.getByTestId('state-origin').innerText(), new RegExp(`after ${state.callback.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // The term tree shows the state's text (whitespace aside).
  const flat = (s) => s.replace(/[\s,▾▸]+/g, '');
  assert.equal(flat(await page.getByTestId('state-term').innerText()), flat(state.state));
  const shownMailbox = await page.locator('[data-testid=mailbox] .item code').allInnerTexts();
  assert.deepEqual(
    shownMailbox,
    mailbox.map((m) => m.msg),
  );
  const shownInflight = await page.locator('[data-testid=inflight] .item code').allInnerTexts();
  assert.deepEqual(
    shownInflight,
    inflight.map((c) => c.request),
  );
});

test('Source: the file and line of a call selected in the flame chart', async () => {
  await openPanel(page, 'flame');
  const slice = page.getByTestId('flame-slice').first();
  await slice.waitFor({ timeout: 60_000 });
  const seq = Number(await slice.getAttribute('data-seq'));
  await slice.click();
  await openPanel(page, 'source');
  const src = await engine('sourceOfEvent', seq);
  assert.ok(src && src.file, `WorkerA's source is in the archive: ${JSON.stringify(src)}`);
  const path = page.locator('[data-testid=source] .path');
  await path.waitFor({ timeout: 60_000 });
  // A call has no line of its own: the view points at the function's definition in the file.
  const hl = page.locator('[data-testid=source] .ln.hl');
  const line = await hl.getAttribute('data-line');
  // The real file when the archive names it (format 3), else the module's entry name.
  assert.equal((await path.innerText()).trim(), `${src.file.file ?? src.file.path}:${line}`);
  assert.match(await hl.innerText(), new RegExp(`\\bdefp? ${src.fun.replace(/[?!]/g, '\\$&')}\\b`));
  assert.equal(await page.locator('[data-testid=source] .ln').count(), src.file.text.split('\n').length);
});

test("SQL console: the result table holds the console's answer, cell for cell", async () => {
  await openPanel(page, 'sql');
  const query = 'SELECT kind, count(*) AS n, min(pid) AS first_pid FROM events GROUP BY kind ORDER BY n DESC, kind';
  await page.getByTestId('sql-input').fill(query);
  await page.getByTestId('sql-run').click();
  const table = page.locator('[data-testid=sql-console] [data-testid=result-table]');
  await table.locator('tbody tr').first().waitFor({ timeout: 60_000 });
  const r = await page.evaluate((q) => window.__otpscopeEngine.console.run(q, { maxRows: 100_000 }), query);
  assert.deepEqual(
    await table.locator('thead th').allInnerTexts(),
    r.columns.map((c) => c.name),
  );
  assert.deepEqual(
    await cells(table.locator('tbody tr')),
    r.rows.map((row) => row.map((c) => (c === null ? '' : String(c)))),
  );
});

test('Expectations: each check passes or fails as the engine judged it', async () => {
  await openPanel(page, 'expectations');
  const text = await page.getByTestId('expectations-input').inputValue();
  await page.getByTestId('expectations-run').click();
  await page.getByTestId('expectations-summary').waitFor({ timeout: 60_000 });
  const out = await engine('checkExpectations', text, { rows: 1000 });
  const results = out.results ?? out;
  assert.ok(results.length > 0);
  const shown = await page.getByTestId('check').evaluateAll((bs) => bs.map((b) => [...b.children].slice(0, 2).map((s) => s.textContent.trim())));
  assert.deepEqual(
    shown,
    results.map((r) => [r.passed ? 'PASS' : r.error === undefined ? 'FAIL' : 'ERROR', r.name]),
  );
  const failed = results.filter((r) => !r.passed).length;
  assert.equal(await page.getByTestId('expectations-summary').innerText(), `${results.length - failed} passed, ${failed} failed`);
});

test('Sequence: the messages and exits between the lifelines shown, as the engine orders them', async () => {
  await openPanel(page, 'sequence');
  await page.getByTestId('sequence-svg').waitFor({ timeout: 60_000 });
  const procs = await page
    .locator('[data-testid=sequence-lifeline-chip] span[title]')
    .evaluateAll((spans) => spans.map((s) => s.getAttribute('title').split(' on ')).map(([pid, node]) => ({ node, pid })));
  assert.ok(procs.length >= 2, JSON.stringify(procs));
  const span = await engine('traceSpan');
  const v = (await hashParam('v'))?.split('_');
  const win = v ? { start: BigInt(v[0]), end: BigInt(v[1]) } : span;
  const { rows } = await engine('sequenceRows', span.start, procs, win);
  assert.ok(rows.length > 0);
  const want = rows.map((r) => (r.type === 'exit' ? 'exit' : r.role));
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=sequence-message], [data-testid=sequence-exit]').length === n, want.length, {
    timeout: 30_000,
  });
  const shown = await page
    .locator('[data-testid=sequence-message], [data-testid=sequence-exit]')
    .evaluateAll((gs) => gs.map((g) => (g.dataset.testid === 'sequence-exit' ? 'exit' : g.dataset.role)));
  assert.deepEqual(shown, want);
});

test('Charts: each chart draws the points of the series the engine bucketed for its width', async () => {
  await openPanel(page, 'charts');
  await page.getByTestId('charts-process-chip').first().waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=chart-rate]')?.dataset.points) > 0, null, { timeout: 60_000 });
  const procs = await page
    .locator('[data-testid=charts-process-chip] span[title]')
    .evaluateAll((spans) => spans.map((s) => s.getAttribute('title').split(' on ')).map(([pid, node]) => ({ node, pid })));
  const span = await engine('traceSpan');
  const v = (await hashParam('v'))?.split('_');
  const start = v ? Number(BigInt(v[0]) - span.start) : 0;
  const end = Math.max(start + 1, v ? Number(BigInt(v[1]) - span.start) : Number(span.end - span.start));
  const width = await page.getByTestId('charts').evaluate((el) => el.clientWidth);
  const data = await engine('chartSeries', span.start, procs, start, end, Math.max(60, Math.min(600, Math.floor(width / 3))));
  const points = (key) => data[key].flat().filter((x) => x !== null && x > 0).length;
  for (const key of ['rate', 'mailbox', 'state']) assert.equal(Number(await page.getByTestId(`chart-${key}`).getAttribute('data-points')), points(key), key);
  assert.ok(points('rate') > 0);
});
