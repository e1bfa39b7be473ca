// The compare view on the recordings of test/scenarios/compare_runs.exs (before, and after a slower callback,
// an extra message and a crash): B loads beside A, the view shows the same cells as `otpscope compare
// --markdown` prints, evidence opens events of A (A's views) and of B (B's own events), the matching can be
// corrected, and the URL hash names B.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSite, openBrowser, fixture, screenshotDir } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let site, browser, context;

before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser({ viewport: { width: 1500, height: 1000 } }));
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/** `otpscope compare --markdown`, parsed: section title -> rows of cells (evidence column included). */
async function cliTables(a, b) {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'bin/otpscope.mjs'), 'compare', a, b, '--markdown'], {
    cwd: root,
    maxBuffer: 1 << 24,
  });
  const out = {};
  let title = null;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('### ')) title = line.slice(4);
    else if (line.startsWith('| ') && title !== null && !/^\| ---/.test(line)) {
      const cells = line
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((c) => c.replace(/\\(.)/g, '$1'));
      (out[title] ??= []).push(cells);
    }
  }
  return out;
}

test('compare view: the same tables as the CLI, evidence in A and B, corrected matching, URL', async () => {
  const a = fixture('scenarios/compare-before.zip');
  const b = fixture('scenarios/compare-after.zip');
  const cli = cliTables(a, b);
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  await page.getByTestId('file-input').setInputFiles(a);
  await page.getByTestId('process-row').first().waitFor({ timeout: 60_000 });
  await page.getByTestId('tab-compare').click();
  await page.getByTestId('compare').getByTestId('file-input').setInputFiles(b);
  await page.getByTestId('compare-table-calls').waitFor({ timeout: 120_000 });

  // Every section the CLI printed, with the same cells, and no other section has rows.
  const expected = await cli;
  const shown = await page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-testid^=compare-section-]')]
        .filter((s) => s.querySelector('table'))
        .map((s) => [
          s.querySelector('h3').firstChild.textContent.trim(),
          [...s.querySelectorAll('tr')].map((tr) => [...tr.children].map((td) => td.getAttribute('title') ?? td.textContent.trim())),
        ]),
    ),
  );
  assert.deepEqual(Object.keys(shown), Object.keys(expected));
  for (const [title, rows] of Object.entries(expected)) assert.deepEqual(shown[title], rows, title);
  assert.match(expected['Calls per callee and request'][1].join(' '), /^Scn\.Price \{:quote, _\} slower 6 → 6 /);
  assert.match(await page.getByTestId('compare-section-mailbox').innerText(), /no mailbox peak or state size changed/);

  await page.screenshot({ path: `${screenshotDir}/compare.png`, fullPage: true });

  // Evidence in B: B's own event (the first {:audit, _, _} send), from B's timeline.
  const audit = page.getByTestId('compare-table-messages').locator('tr', { hasText: '{:audit, _, _}' });
  await audit.getByTestId('evidence-b').click();
  assert.match(await page.getByTestId('compare-b-event').innerText(), /send[\s\S]*\{:audit, :apple, 2\}/);
  // Evidence in A: selects the event in A's views (the detail pane shows A's slowest quote request).
  await page.getByTestId('compare-table-calls').getByTestId('evidence-a').first().click();
  await page.getByTestId('event-detail').filter({ hasText: ':quote' }).waitFor({ timeout: 30_000 });

  // The URL names B beside A.
  await page.waitForFunction(() => /[#&]b=compare-after\.zip/.test(location.hash) && /[#&]p=compare/.test(location.hash));

  // Correct the matching: pair A's second worker with nothing; it then shows as vanished, the B one as new.
  await page.getByTestId('compare-show-matches').click();
  const worker2 = page.getByTestId('match-row').filter({ hasText: 'Scn.Worker #2' }).first();
  const aPid = await worker2.getAttribute('data-a-pid');
  await worker2.locator('select').selectOption('');
  const unmatched = page.getByTestId('compare-table-unmatched');
  await unmatched.filter({ hasText: aPid }).waitFor({ timeout: 60_000 });
  assert.match(await unmatched.innerText(), /A only \(vanished\)/);
  const link = await page.evaluate(() => location.hash);
  await page.close();

  // The link reopens the compare view once A is loaded, and names the B to load.
  const again = await context.newPage();
  await again.goto(site.origin + '/' + link);
  await again.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  await again.getByTestId('file-input').setInputFiles(a);
  await again.getByTestId('compare-wanted').filter({ hasText: 'compare-after.zip' }).waitFor({ timeout: 60_000 });
  await again.close();
});

test('two recordings chosen on the first screen: A loads as the timeline, B in the compare view', async () => {
  const a = fixture('scenarios/compare-before.zip');
  const b = fixture('scenarios/compare-after.zip');
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('compare-two').locator('summary').click();
  const start = page.getByTestId('compare-start');
  assert.ok(await start.isDisabled(), 'nothing to compare before both are chosen');
  await page.getByTestId('compare-input-a').setInputFiles(a);
  assert.ok(await start.isDisabled(), 'B is still missing');
  await page.getByTestId('compare-input-b').setInputFiles(b);
  await page.getByTestId('compare-drop-b').filter({ hasText: 'compare-after.zip' }).waitFor();
  await page.screenshot({ path: `${screenshotDir}/compare-two-first-screen.png` });
  await start.click();
  await page.getByTestId('compare-table-calls').waitFor({ timeout: 180_000 });
  assert.match(await page.getByTestId('compare').locator('header').innerText(), /A\s+compare-before\.zip/);
  assert.equal(await page.getByTestId('compare-b-name').innerText(), 'compare-after.zip');
  assert.match(await page.getByTestId('compare-table-calls').innerText(), /Scn\.Price/);
  await page.waitForFunction(() => /[#&]b=compare-after\.zip/.test(location.hash) && /[#&]p=compare/.test(location.hash));
  await page.close();
});
