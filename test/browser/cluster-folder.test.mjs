// A recording of several nodes (`otpscope_record --nodes`/`--cluster`) is a directory holding one archive per node,
// `<node>.zip` (docs/FORMAT.md, "Several nodes"). Choosing that directory in the page loads every archive as one
// trace on one timeline, with the messages between the nodes paired send to receive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, copyFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSite, openBrowser, blockOtherOrigins, fixture, openPanel, screenshotDir } from './harness.mjs';

let site, browser, context, outside, dir;
before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser());
  outside = await blockOtherOrigins(context, site.origin);
  // The two archives of a real two-node recording (test/scenarios/cross_node.exs), laid out as the recorder's
  // several-node mode writes them; a file that is no trace sits beside them, as in a real folder.
  dir = await mkdtemp(path.join(tmpdir(), 'otpscope-cluster-'));
  const rec = path.join(dir, 'recording');
  await mkdir(rec);
  await copyFile(fixture('scenarios/cross-node-a.zip'), path.join(rec, 'scn_a@vm.zip'));
  await copyFile(fixture('scenarios/cross-node-b.zip'), path.join(rec, 'scn_b@vm.zip'));
  await writeFile(path.join(rec, 'NOTES.txt'), 'recorded during the incident\n');
});
after(async () => {
  await browser?.close();
  await site?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('choosing a several-node recording folder loads every node on one timeline with cross-node messages paired', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  await page.getByTestId('folder-input').setInputFiles(path.join(dir, 'recording'));
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  await page.getByTestId('overview').waitFor();
  const nodes = await page.getByTestId('overview-nodes').innerText();
  assert.match(nodes, /scn_a@vm/);
  assert.match(nodes, /scn_b@vm/);
  const sources = await page.getByTestId('overview-sources').innerText();
  assert.match(sources, /scn_a@vm\.zip/);
  assert.match(sources, /scn_b@vm\.zip/);
  // The stray file beside the archives is skipped with a notice, not reported as a failed load.
  const notices = page.getByTestId('load-errors');
  await notices.filter({ hasText: 'recording/NOTES.txt: skipped, not a trace file' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('load-error').count(), 0, await notices.innerText());
  await page.screenshot({ path: path.join(screenshotDir, 'cluster-folder-overview.png') });

  // The engine paired the sends of one node with the receives on the other (the same pairs the Node test of
  // this recording expects: test/unit/analyses-scenarios.test.ts).
  await openPanel(page, 'sql');
  await page
    .getByTestId('sql-input')
    .fill('SELECT send_seq, recv_seq, from_node, to_node, status FROM messages WHERE from_node <> to_node AND recv_seq IS NOT NULL ORDER BY send_seq LIMIT 3');
  await page.getByTestId('sql-run').click();
  await page.getByTestId('sql-rowcount').filter({ hasText: '3 rows' }).waitFor({ timeout: 60_000 });
  const rows = await page
    .getByTestId('result-table')
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent.trim())));
  assert.deepEqual(rows, [
    ['7', '8', 'scn_a@vm', 'scn_b@vm', 'received'],
    ['11', '12', 'scn_b@vm', 'scn_a@vm', 'received'],
    ['13', '14', 'scn_a@vm', 'scn_b@vm', 'received'],
  ]);
  assert.deepEqual(outside, []);
  await page.close();
});
