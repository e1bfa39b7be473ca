// The analyzer's views on recorded fixtures (test/fixtures/archives/demo.zip:
// WorkerA <0.139.0> increments and calls WorkerB <0.138.0>; crash.zip: a
// crashing worker restarted by its supervisor): select a process, move the
// cursor, read the state and its diff, open the causal chain, query SQL and
// export CSV, and reopen the same view from the URL hash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startSite, openBrowser, fixture, screenshotDir, openPanel } from './harness.mjs';

let site, browser, context;

before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser());
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/** Opens the app and loads a fixture: `name` in test/fixtures/archives, or a path under test/fixtures. */
async function load(page, name, hash = '') {
  await page.goto(site.origin + '/' + hash);
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  await page.getByTestId('file-input').setInputFiles(fixture(name.includes('/') ? name : `archives/${name}`));
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  await page.getByTestId('process-row').first().waitFor({ timeout: 60_000 });
}

const row = (page, pid) => page.locator(`[data-testid=process-row][data-pid="${pid}"]`);

test('overview: nodes, sources with drops and truncations, events by kind, top anomalies', async () => {
  const page = await context.newPage();
  await load(page, 'crash.zip');
  await page.getByTestId('overview').waitFor();
  assert.match(await page.getByTestId('overview-nodes').innerText(), /nonode@nohost/);
  // From the archive's totals.json (crash.zip: nothing dropped, one term cut by the recorder's size limits).
  assert.equal((await page.getByTestId('dropped').first().innerText()).trim(), '0');
  assert.equal((await page.getByTestId('truncated').first().innerText()).trim(), '1');
  assert.match(await page.getByTestId('kinds').innerText(), /send_to_dead/);
  const anomalies = page.getByTestId('top-anomalies');
  await anomalies.waitFor({ timeout: 30_000 });
  assert.match(await anomalies.innerText(), /crash/);
  // One click jumps: the event is selected everywhere (detail pane) and its process in the tree.
  await page.getByTestId('anomaly-jump').first().click();
  await page.getByTestId('event-detail').locator('.kind').waitFor();
  assert.equal(await page.locator('[data-testid=process-tree] .row.sel').count(), 1);
  await page.close();
});

// Regression test: the Sources table's dropped column read only an archive's totals.json, which no raw reader fills:
// a raw trace whose ip trace port dropped 191 events showed "—" for them. Loaded beside an archive (its totals say
// 5803), each file keeps its own count.
test('overview: a raw trace that lost events says how many, beside an archive that did', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  await page.getByTestId('file-input').setInputFiles([fixture('archives/flood.zip'), fixture('raw/ip-drop.trace')]);
  const rows = page.getByTestId('overview-sources').locator('tbody tr');
  await rows.nth(1).waitFor({ timeout: 60_000 });
  const dropped = async (name) => (await rows.filter({ hasText: name }).getByTestId('dropped').innerText()).trim();
  assert.equal(await dropped('flood.zip'), '5803');
  assert.equal(await dropped('ip-drop.trace'), '191');
  await page.close();
});

test('process tree: supervisors and workers at the cursor, exits, selection, filter', async () => {
  const page = await context.newPage();
  await load(page, 'crash.zip');
  const tree = page.getByTestId('process-tree');
  await tree.filter({ hasText: 'RuntimeError' }).waitFor();
  assert.match(await tree.innerText(), /Supervisor/);
  assert.match(await tree.innerText(), /RuntimeError/, 'crashed workers show their exit reason');
  // At the start of the trace the restarted workers do not exist yet.
  const atEnd = await page.getByTestId('process-row').count();
  await page.getByTestId('cursor-range').fill('0');
  // The tree follows the cursor (waited for, not timed: a busy machine answers late).
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=process-row]').length < n, atEnd, { timeout: 30_000 }).catch(() => {});
  const atStart = await page.getByTestId('process-row').count();
  assert.ok(atStart < atEnd, `fewer processes at the start (${atStart}) than at the end (${atEnd})`);
  await page.getByTestId('process-filter').fill('Crasher');
  await page.getByTestId('process-row').filter({ hasText: 'Crasher' }).first().waitFor({ timeout: 30_000 });
  const texts = await page.getByTestId('process-row').allInnerTexts();
  assert.ok(texts.some((t) => /Crasher/.test(t)));
  await page.close();
});

test('process tree: applications and child ids from the recorded supervision tree', async () => {
  const page = await context.newPage();
  await load(page, 'demo.zip');
  // demo.zip recorded kernel, elixir and mix at start and the demo application (started while recording) at stop.
  const apps = await page.getByTestId('application').allInnerTexts();
  for (const a of [':otpscope_demo', ':kernel', ':elixir']) assert.ok(apps.includes(a), `${a} in ${apps}`);
  assert.match(await row(page, '<0.139.0>').getAttribute('title'), /application :otpscope_demo .*child id OtpscopeDemo\.WorkerA/);
  // WorkerA sits under its supervisor, one level deeper.
  const pad = async (pid) =>
    parseFloat(
      await row(page, pid)
        .locator('xpath=..')
        .evaluate((el) => getComputedStyle(el).paddingLeft),
    );
  const sup = page.locator('[data-testid=process-row]', { hasText: 'Supervisor' }).filter({ has: page.getByTestId('application') });
  const supPid = await sup.first().getAttribute('data-pid');
  assert.equal((await pad('<0.139.0>')) - (await pad(supPid)), 10);
  await page.close();
});

test('state inspector: state at the cursor, diff, step through changes, Erlang syntax, mailbox', async () => {
  const page = await context.newPage();
  await load(page, 'demo.zip');
  await row(page, '<0.139.0>').click();
  await openPanel(page, 'state');
  const term = page.getByTestId('state-term');
  await term.waitFor();
  // At the end of the trace: the last state.
  await term.filter({ hasText: 'count: 3' }).waitFor();
  assert.match(await page.getByTestId('state-diff').innerText(), /count[\s\S]*2[\s\S]*3/);
  // Previous change: the cursor moves and the state follows.
  await page.getByTestId('state-prev').click();
  await term.filter({ hasText: 'count: 2' }).waitFor();
  assert.match(await page.getByTestId('cursor-time').innerText(), /ms|µs/);
  // Keys: ] goes forward again.
  await page.locator('body').press(']');
  await term.filter({ hasText: 'count: 3' }).waitFor();
  // Move the cursor to the very start: no state yet.
  await page.getByTestId('cursor-range').fill('0');
  await page.getByTestId('no-state').waitFor();
  await page.getByTestId('state-next').click();
  await term.filter({ hasText: 'count: 0' }).waitFor();
  assert.match(await page.getByTestId('state-diff').innerText(), /first recorded state/);
  // Erlang syntax.
  await page.getByTestId('state-next').click();
  await term.filter({ hasText: 'count: 1' }).waitFor();
  await page.getByTestId('syntax-erlang').click();
  await term.filter({ hasText: 'count =>' }).waitFor();
  assert.match(await term.innerText(), /#\{/);
  await page.getByRole('button', { name: 'Elixir', exact: true }).click();
  assert.ok(await page.getByTestId('mailbox').isVisible());
  await page.screenshot({ path: `${screenshotDir}/views-state.png` });
  await page.close();
});

test('state inspector: a GenServer idle while recorded shows the state read at start', async () => {
  const page = await context.newPage();
  // test/scenarios/start_states.exs: Scn.Cache <0.152.0> ran before the recording and handled nothing in it.
  await load(page, 'scenarios/start-states.zip');
  await row(page, '<0.152.0>').click();
  await openPanel(page, 'state');
  await page.getByTestId('state-term').filter({ hasText: '"b" =>' }).waitFor();
  assert.match(await page.getByTestId('state-origin').innerText(), /read when the recording started/);
  assert.match(await page.getByTestId('state-diff').innerText(), /first recorded state \(read at start\)/);
  await page.screenshot({ path: `${screenshotDir}/views-state-at-start.png` });
  await page.close();
});

test('source: a line snapshot highlights its line with the bindings beside it', async () => {
  const page = await context.newPage();
  // test/scenarios/line_snapshots.exs: seq 12 is classify(4) about to run line 19 with N = 4, Half = 2.
  await load(page, 'scenarios/line-snapshots.zip', '#p=source&seq=12');
  const src = page.getByTestId('source');
  await src.locator('.ln.hl').waitFor({ timeout: 60_000 });
  assert.match(await src.locator('.ln.hl').innerText(), /^19\s*\{even, Half\};/);
  const bind = await src.locator('aside.bind').innerText();
  assert.match(bind, /bindings/i);
  assert.match(bind, /N:?\s*4/);
  assert.match(bind, /Half:?\s*2/);
  assert.equal(await page.getByTestId('snapshot-line').innerText(), 'line 19, bindings:');
  // Step through the process's snapshots: the next line is 23 with Kind bound, then back.
  assert.match(await page.getByTestId('snapshot-position').innerText(), /line snapshot 11 of 12/);
  await page.getByTestId('snapshot-next').click();
  await src.locator('.ln.hl', { hasText: '{N, Kind}' }).waitFor();
  assert.match(await src.locator('aside.bind').innerText(), /Kind/);
  assert.ok(await page.getByTestId('snapshot-next').isDisabled(), 'the last snapshot has no next');
  await page.getByTestId('snapshot-prev').click();
  await src.locator('.ln.hl', { hasText: '{even, Half}' }).waitFor();
  await page.screenshot({ path: `${screenshotDir}/views-source-snapshot.png` });
  await page.close();
});

test('causality: why did this happen? shows the chain as a graph and a list to click through', async () => {
  const page = await context.newPage();
  await load(page, 'demo.zip');
  // WorkerB's second handle_call: caused by A's call message.
  await row(page, '<0.138.0>').click();
  await openPanel(page, 'state');
  await page.getByTestId('state-term').filter({ hasText: 'pings_received: 3' }).waitFor();
  await page.locator('.meta button.link').click();
  await page.getByTestId('why').click();
  const list = page.getByTestId('causal-list');
  await list.locator('li').nth(1).waitFor({ timeout: 30_000 });
  const items = await list.locator('li').allInnerTexts();
  assert.ok(
    items.some((t) => /receive/.test(t)),
    items.join('\n'),
  );
  assert.ok(
    items.some((t) => /send/.test(t) && /WorkerA|0\.139\.0/.test(t)),
    'the chain crosses to the sender, WorkerA',
  );
  assert.ok((await page.getByTestId('causal-graph').locator('circle').count()) >= 3);
  assert.ok((await page.getByTestId('causal-graph').locator('line.edge.message').count()) >= 1, 'a send → receive edge');
  // Clicking through selects the event everywhere.
  await list.locator('li button').last().click();
  await page.getByTestId('event-detail').filter({ hasText: /#\d+/ }).waitFor({ timeout: 30_000 });
  await page.close();
});

// Regression test: the Calls view named an unregistered server by its bare pid, and a call to a server on a node that
// was not recording had no callee at all (test/scenarios/call_forms.exs).
test("calls: an unregistered server by its module, an untraced node's server by where the request went", async () => {
  const page = await context.newPage();
  await load(page, 'scenarios/call-forms.zip');
  await openPanel(page, 'calls');
  const calls = page.getByTestId('calls-table');
  await calls.getByText('{:scn_echo, :scn_forms_b_99@vm}').first().waitFor();
  const text = await calls.innerText();
  assert.match(text, /Scn\.Echo <0\.162\.0>/);
  assert.match(text, /:scn_echo/);
  assert.doesNotMatch(text, /^<0\.162\.0>/m);
  const unanswered = page.getByTestId('calls-timeouts');
  await unanswered.locator('tbody tr').first().waitFor();
  assert.match(await unanswered.innerText(), /→ \{:scn_echo, :scn_forms_b_99@vm\}/);
  await page.close();
});

test('calls, anomalies, source and expectations views', async () => {
  const page = await context.newPage();
  await load(page, 'demo.zip');
  await openPanel(page, 'calls');
  const calls = page.getByTestId('calls-table');
  await calls.waitFor();
  assert.match(await calls.innerText(), /:ping/);
  // the histogram answers after the table (its own query): wait for its bars
  await page.getByTestId('calls-histogram').locator('rect').first().waitFor();
  assert.ok((await page.getByTestId('calls-histogram').locator('rect').count()) > 0);
  await page.getByTestId('calls-slowest').locator('tbody tr').first().click();
  await page.getByTestId('event-detail').filter({ hasText: 'send' }).waitFor();

  // Source: select WorkerA's handle_info return and open its source.
  await row(page, '<0.139.0>').click();
  await openPanel(page, 'state');
  await page.getByTestId('state-term').waitFor();
  await page.locator('.meta button.link').click();
  await openPanel(page, 'source');
  const src = page.getByTestId('source');
  await src.locator('.ln.hl').waitFor({ timeout: 30_000 });
  assert.match(await src.locator('.ln.hl').innerText(), /def (init|handle_info)/);
  assert.match(await src.innerText(), /Elixir\.OtpscopeDemo\.WorkerA\.ex/);

  await openPanel(page, 'expectations');
  await page.getByTestId('expectations-run').click();
  await page.getByTestId('expectations-summary').waitFor();
  assert.match(await page.getByTestId('expectations-summary').innerText(), /\d+ passed, \d+ failed/);
  await page.close();

  const crash = await context.newPage();
  await load(crash, 'crash.zip');
  await openPanel(crash, 'anomalies');
  const list = crash.getByTestId('anomaly-list');
  await list.locator('tbody tr').first().waitFor();
  assert.match(await list.innerText(), /crash/);
  await crash.getByTestId('anomaly-kind').selectOption('crash');
  const kinds = await list.locator('tbody tr td:nth-child(2)').allInnerTexts();
  assert.ok(kinds.length > 0 && kinds.every((k) => k === 'crash'));
  await list.locator('tbody tr').first().click();
  await crash.getByTestId('event-detail').locator('.kind').waitFor();
  await crash.close();
});

test('SQL console: run, error inline, export CSV with the rows', async () => {
  const page = await context.newPage();
  await load(page, 'demo.zip');
  await openPanel(page, 'sql');
  await page.getByTestId('sql-schema').locator('summary').first().waitFor();
  assert.match(await page.getByTestId('sql-schema').innerText(), /events/);
  await page.getByTestId('sql-input').fill('SELECT nope FROM events');
  await page.getByTestId('sql-run').click();
  await page.getByTestId('sql-error').waitFor();
  assert.match(await page.getByTestId('sql-error').innerText(), /nope/);
  await page
    .getByTestId('sql-input')
    .fill(`SELECT kind, count(*) AS n, 'a,"b"' AS q FROM events WHERE kind IN ('send', 'receive') GROUP BY kind ORDER BY kind`);
  await page.getByTestId('sql-input').press('Control+Enter');
  await page.getByTestId('sql-rowcount').filter({ hasText: '2 rows' }).waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sql-export-csv').click()]);
  const csv = await readFile(await download.path(), 'utf8');
  assert.equal(csv, 'kind,n,q\r\nreceive,15,"a,""b"""\r\nsend,14,"a,""b"""\r\n');
  assert.match(await page.getByTestId('sql-history').innerText(), /SELECT kind/);
  // Parquet is written in the worker (parquet-wasm); read it back with native DuckDB.
  const [pq] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sql-export-parquet').click()]);
  const pqPath = await pq.path();
  const bytes = await readFile(pqPath);
  assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PAR1');
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = (await conn.runAndReadAll(`SELECT kind, n::INTEGER, q FROM read_parquet('${pqPath}') ORDER BY kind`)).getRows();
  assert.deepEqual(rows, [
    ['receive', 15, 'a,"b"'],
    ['send', 14, 'a,"b"'],
  ]);
  await page.close();
});

test('SQL console: times read from the trace start (raw on hover and in exports), a row naming a seq or a pid selects it, exports are named after the archive and the query', async () => {
  const page = await context.newPage();
  await load(page, 'demo.zip');
  await openPanel(page, 'sql');
  await page.getByTestId('sql-input').fill("SELECT seq, ts, pid, node FROM events WHERE kind = 'send' ORDER BY seq LIMIT 3");
  await page.getByTestId('sql-run').click();
  await page.getByTestId('sql-rowcount').filter({ hasText: '3 rows' }).waitFor();
  const row = page.getByTestId('result-table').locator('tbody tr').nth(1);
  const tsCell = row.locator('td').nth(1);
  assert.match(await tsCell.innerText(), /^\+[\d.]+ (ns|µs|ms|s)$/);
  const raw = await tsCell.getAttribute('title');
  assert.match(raw, /^\d{15,}$/, 'the raw ns on hover');
  const seq = await row.locator('td').first().innerText();
  await row.click();
  await page.waitForFunction((s) => new URLSearchParams(location.hash.slice(1)).get('seq') === s, seq);
  await page
    .getByTestId('event-detail')
    .filter({ hasText: `#${seq}` })
    .waitFor();
  assert.equal(await row.getAttribute('class').then((c) => /selected/.test(c)), true, 'the row of the selected event is marked');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sql-export-csv').click()]);
  assert.match(download.suggestedFilename(), /^demo-events-\d{4}-\d\d-\d\d\.csv$/);
  assert.match(await readFile(await download.path(), 'utf8'), new RegExp(`,${raw},`), 'exports keep the raw value');
  // A row with only a pid selects the process.
  await page.getByTestId('sql-input').fill("SELECT pid, count(*) AS n FROM events WHERE pid = '<0.138.0>' GROUP BY pid");
  await page.getByTestId('sql-run').click();
  await page.getByTestId('sql-rowcount').filter({ hasText: '1 row' }).waitFor();
  await page.getByTestId('result-table').locator('tbody tr').first().click();
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('pid')?.endsWith('<0.138.0>'));
  await page.close();
});

test('the URL hash round-trips: reload with it, load the same archive, same view; back works', async () => {
  const page = await context.newPage();
  await load(page, 'demo.zip');
  await row(page, '<0.139.0>').click();
  await openPanel(page, 'state');
  await page.getByTestId('state-term').filter({ hasText: 'count: 3' }).waitFor();
  await page.getByTestId('state-prev').click();
  await page.getByTestId('state-term').filter({ hasText: 'count: 2' }).waitFor();
  await page.waitForTimeout(200);
  const url = page.url();
  assert.match(url, /#.*a=demo\.zip/);
  assert.match(url, /p=state/);
  assert.match(url, /t=\d+/);
  const cursor = await page.getByTestId('cursor-time').innerText();

  // Back: the previous selection (the state panel without the step is the same major view; the panel before was overview).
  await openPanel(page, 'sql');
  await page.waitForTimeout(100);
  await page.goBack();
  await page.getByTestId('state-term').waitFor();

  const again = await context.newPage();
  await again.goto(url);
  await again.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  await again.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await again.getByTestId('state-term').filter({ hasText: 'count: 2' }).waitFor({ timeout: 60_000 });
  assert.equal(await again.getByTestId('cursor-time').innerText(), cursor);
  assert.equal(await again.locator('[data-testid=process-tree] .row.sel [data-pid]').getAttribute('data-pid'), '<0.139.0>');
  assert.equal(await again.getByRole('tab', { selected: true }).innerText(), 'State');
  await again.close();
  await page.close();
});
