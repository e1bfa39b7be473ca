// Loading: a real drop (DataTransfer built in the page from the fixture's bytes),
// the file picker, several files at once, ?demo, ?url= (same-origin loads,
// cross-origin refused with a clear message and no request), errors that name
// the file and keep what loaded, progress shown while loading.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startSite, openBrowser, blockOtherOrigins, fixture } from './harness.mjs';

let site, browser, context, outside;

before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser());
  outside = await blockOtherOrigins(context, site.origin);
});
after(async () => {
  await browser?.close();
  await site?.close();
});

async function ready(page, query = '') {
  await page.goto(site.origin + '/' + query);
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
}

/** Dispatches a real drop of `files` ({name, path}) on the element matching `selector`. */
async function dropFiles(page, selector, files) {
  const payload = [];
  for (const f of files) payload.push({ name: f.name, bytes: [...(await readFile(f.path))] });
  const dt = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: 'application/octet-stream' }));
    return dt;
  }, payload);
  await page.dispatchEvent(selector, 'dragover', { dataTransfer: dt });
  await page.dispatchEvent(selector, 'drop', { dataTransfer: dt });
}

/** Records every text the load-status slot shows, so a test can see progress that lasts a few ms. */
async function watchProgress(page) {
  await page.evaluate(() => {
    window.__progress = [];
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid=load-status]');
      const bar = document.querySelector('[data-testid=progress]');
      if (el && bar) window.__progress.push(el.textContent.trim());
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

test('a drop of a recorded archive loads it, with progress and a stable top bar', async () => {
  const page = await context.newPage();
  await ready(page);
  const barBefore = await page.locator('header.topbar').boundingBox();
  await watchProgress(page);
  await dropFiles(page, '[data-testid=drop-zone]', [{ name: 'crash.zip', path: fixture('archives/crash.zip') }]);
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('sources').innerText(), /crash\.zip/);
  const progress = await page.evaluate(() => window.__progress);
  assert.ok(progress.length > 0, 'a progress bar was shown while loading');
  assert.ok(
    progress.some((t) => /events/.test(t) || /reading/.test(t)),
    `progress text: ${progress.join(' | ')}`,
  );
  const barAfter = await page.locator('header.topbar').boundingBox();
  assert.equal(barAfter.height, barBefore.height, 'no layout shift in the top bar');
  assert.match(await page.getByTestId('kinds').innerText(), /receive/);
  await page.close();
});

test('several files dropped at once merge: two archives and a dbg trace', async () => {
  const page = await context.newPage();
  await ready(page);
  await dropFiles(page, '[data-testid=drop-zone]', [
    { name: 'demo.zip', path: fixture('archives/demo.zip') },
    { name: 'statem.zip', path: fixture('archives/statem.zip') },
    { name: 'pingpong.trace', path: fixture('dbg/pingpong.trace') },
  ]);
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  await page.getByTestId('overview-sources').locator('tbody tr').nth(2).waitFor();
  const sources = await page.getByTestId('sources').innerText();
  for (const n of ['demo.zip', 'statem.zip', 'pingpong.trace']) assert.match(sources, new RegExp(n.replace('.', '\\.')));
  await page.close();
});

// Regression test: two runs of one node name (test/scenarios/day_runs.exs: runs_a@vm and runs_b@vm, three runs each)
// merged into one node, one run's <0.182.0> taking the other's calls and crash. They are kept apart, and the page says so.
test('a day of recordings: each run of a node name is its own node, and the load says so', async () => {
  const page = await context.newPage();
  await ready(page);
  const files = [1, 2, 3].flatMap((n) => [`day-a-${n}.zip`, `day-b-${n}.zip`]);
  await dropFiles(
    page,
    '[data-testid=drop-zone]',
    files.map((name) => ({ name, path: fixture(`scenarios/${name}`) })),
  );
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  const notice = page.getByTestId('load-errors').locator('.warn').filter({ hasText: 'runs_a@vm was recorded by 3 different runs' });
  await notice.waitFor({ timeout: 60_000 });
  assert.match(
    await notice.innerText(),
    /day-a-1\.zip \(OS pid \d+\) as runs_a@vm; day-a-2\.zip \(OS pid \d+\) as runs_a@vm#2; day-a-3\.zip \(OS pid \d+\) as runs_a@vm#3/,
  );
  assert.equal(await page.getByTestId('load-error').count(), 0);
  const chips = await page.getByTestId('source-chip').evaluateAll((els) => els.map((e) => e.getAttribute('title')));
  assert.ok(
    chips.some((t) => /^day-b-3\.zip · otpscope · runs_b@vm#3 ·/.test(t)),
    chips.join('\n'),
  );
  await page.close();
});

test('the file picker loads files, and later drops add to what is loaded', async () => {
  const page = await context.newPage();
  await ready(page);
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  await dropFiles(page, '.app', [{ name: 'statem.zip', path: fixture('archives/statem.zip') }]);
  await page.getByTestId('sources').filter({ hasText: 'statem.zip' }).waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('sources').innerText(), /demo\.zip[\s\S]*statem\.zip/);
  await page.close();
});

// Regression test: the same archive added again doubled every count, broke the page (each_key_duplicate) and left a stale error banner.
test('the same archive added again is not loaded twice: a short notice, one source, nothing broken', async () => {
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  await ready(page);
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  const events = await page.evaluate(() => document.querySelector('[data-testid=sources]')?.innerText);
  await dropFiles(page, '.app', [{ name: 'demo-again.zip', path: fixture('archives/demo.zip') }]);
  const notice = page.getByTestId('load-errors').filter({ hasText: 'demo-again.zip is already loaded (same content as demo.zip); not loaded again' });
  await notice.waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('sources').innerText(), events);
  assert.equal(await page.getByTestId('load-error').count(), 0);
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test('an unreadable file is named with its offset and cause, and the good files still load', async () => {
  const page = await context.newPage();
  await ready(page);
  const garbage = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new TextEncoder().encode('hello, I am not a trace')], 'notes.txt'));
    return dt;
  });
  await page.dispatchEvent('[data-testid=drop-zone]', 'drop', { dataTransfer: garbage });
  const err = page.getByTestId('load-error').first();
  await err.waitFor({ timeout: 60_000 });
  const text = await err.innerText();
  assert.match(text, /notes\.txt/);
  assert.match(text, /offset 0|not a trace/);
  // Now a good file: it loads, and the banner shows the latest load's messages only (none).
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('load-error').count(), 0);
  // A broken file after a good load keeps what loaded.
  const truncatedZip = [...(await readFile(fixture('archives/crash.zip')))].slice(0, 3000);
  const broken = await page.evaluateHandle((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'cut.zip'));
    return dt;
  }, truncatedZip);
  await page.dispatchEvent('.app', 'drop', { dataTransfer: broken });
  await page.getByTestId('load-errors').filter({ hasText: 'cut.zip' }).waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('sources').innerText(), /demo\.zip/);
  assert.ok((await page.getByTestId('process-row').count()) > 0, 'the demo is still loaded');
  await page.close();
});

test('?demo opens the bundled demo recording', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/?demo');
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('sources').innerText(), /demo\.zip/);
  // The runtime's init spawned the node's top-level processes; they are roots beside it, not nested under it.
  const pad = (pid) =>
    page
      .locator(`[data-testid=process-row][data-pid="${pid}"]`)
      .locator('xpath=..')
      .evaluate((el) => getComputedStyle(el).paddingLeft);
  await page.locator('[data-testid=process-row][data-pid="<0.0.0>"]').waitFor();
  assert.equal(await pad('<0.1.0>'), await pad('<0.0.0>'));
  // One node: its processes are all the processes the card counts (idle ones from the recorder's facts too).
  await page.getByTestId('node-processes').waitFor();
  assert.equal(await page.getByTestId('node-processes').innerText(), await page.getByTestId('count-processes').innerText());
  await page.close();
});

test('the first screen has the demo one click away', async () => {
  const page = await context.newPage();
  await ready(page);
  await page.getByTestId('open-demo').click();
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('sources').innerText(), /demo\.zip/);
  await page.close();
});

test('?url= loads a same-origin archive and refuses another origin clearly, without a request', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/?url=./demo/demo.zip');
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  await page.close();

  const before = outside.length;
  const page2 = await context.newPage();
  await page2.goto(site.origin + '/?url=' + encodeURIComponent('https://example.com/trace.zip'));
  const msg = page2.getByTestId('url-error');
  await msg.waitFor({ timeout: 60_000 });
  const text = await msg.innerText();
  assert.match(text, /own origin/);
  assert.match(text, /drop it here|relative URL/);
  await page2.waitForTimeout(300);
  assert.equal(outside.length, before, 'no request left the origin');

  const page3 = await context.newPage();
  await page3.goto(site.origin + '/?url=./nothing-here.zip');
  await page3.getByTestId('url-error').filter({ hasText: /404/ }).waitFor({ timeout: 60_000 });
  await page3.close();
  await page2.close();
});

test('a ttb upload folder (log + .ti) loads as one source', async () => {
  const page = await context.newPage();
  await ready(page);
  const { readdir } = await import('node:fs/promises');
  const dir = fixture('ttb/upload');
  const names = await readdir(dir);
  await page.getByTestId('file-input').setInputFiles(names.map((n) => `${dir}/${n}`));
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('load-error').count(), 0);
  await page.close();
});

// Regression test: a trace recorded without a timestamp flag (every event at 0) read "Starts monotonic 0.000000 s (no
// wall-clock time in this trace)", as if it had times.
test('a raw trace with no timestamps says so on the Overview', async () => {
  const page = await context.newPage();
  await ready(page);
  await page.getByTestId('file-input').setInputFiles(fixture('raw/untimed.trace'));
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  await page.getByTestId('trace-start').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('trace-start').innerText(), 'No timestamps in this trace (traced without a timestamp flag): events in file order');
  await page.close();
});

test('a dbg trace with monotonic timestamps and no wall-clock offset says so instead of showing a 1951 date', async () => {
  const page = await context.newPage();
  await ready(page);
  await page.getByTestId('file-input').setInputFiles(fixture('dbg/pingpong-mono.trace'));
  await page.getByTestId('process-tree').waitFor({ timeout: 60_000 });
  // The overview shows "Summarizing…" until its answer arrives: read it once the start line is there.
  await page
    .getByTestId('overview')
    .filter({ hasText: /Starts / })
    .waitFor({ timeout: 60_000 });
  const text = await page.getByTestId('overview').innerText();
  assert.match(text, /Starts monotonic -?\d+\.\d{6} s \(no wall-clock time in this trace\)/);
  assert.doesNotMatch(text, /19[0-9]{2}-\d\d-\d\d/);
  await page.close();
});

test('a drop is accepted while the engine is still starting, and the load shows its stages, counts and elapsed time', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('drop-zone').waitFor();
  // Record every state of the load panel (stages last milliseconds on a fast machine).
  await page.evaluate(() => {
    window.__stages = [];
    new MutationObserver(() => {
      const panel = document.querySelector('[data-testid=load-panel]');
      if (!panel) return;
      const stages = [...panel.querySelectorAll('[data-testid=load-stage]')].map((li) => `${li.dataset.stage}:${li.dataset.state}`).join(' ');
      const elapsed = panel.querySelector('[data-testid=load-elapsed]')?.textContent ?? '';
      window.__stages.push({ stages, text: panel.textContent, elapsed });
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const statusAtDrop = await page.getByTestId('engine-status').innerText();
  await dropFiles(page, '[data-testid=drop-zone]', [{ name: 'demo.zip', path: fixture('archives/demo.zip') }]);
  await page.getByTestId('process-tree').waitFor({ timeout: 120_000 });
  assert.match(await page.getByTestId('sources').innerText(), /demo\.zip/);
  const seen = await page.evaluate(() => window.__stages);
  assert.ok(seen.length > 0, 'the load panel was shown');
  const all = seen.map((s) => s.stages).join('\n');
  // Each stage was the active one at some point, and the ones before it were done by then.
  for (const stage of ['reading', 'ingesting', 'analysing']) assert.match(all, new RegExp(`${stage}:(active|done)`), stage);
  assert.ok(
    seen.some((s) => /reading:done ingesting:done analysing:active/.test(s.stages)),
    all,
  );
  assert.ok(
    seen.every((s) => /^(\d+(\.\d+)? (ms|s)|\d+ min( \d+ s)?)$/.test(s.elapsed)),
    'elapsed time in seconds',
  );
  assert.ok(
    seen.some((s) => /events/.test(s.text)),
    'counts',
  );
  // A drop made before the engine answered waits for it, and says so.
  if (/starting/.test(statusAtDrop)) assert.match(all, /engine:(active|done)/);
  await page.close();
});
