// Tables on disk: with ?storage=disk the engine keeps its tables in a database file in the origin-private file
// system (OPFS) instead of DuckDB-WASM's memory, the page says so, and every table, view and query answers as
// with the tables in memory. Files that earlier pages left in OPFS are removed; a file an open page holds stays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openBrowser, blockOtherOrigins, fixture, screenshotDir } from './harness.mjs';

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

/** Opens the page (`search`: its query string), loads `archive` and waits until every table is built. */
async function loaded(search, archive) {
  const page = await context.newPage();
  await page.goto(site.origin + '/' + search);
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  // What the loading panel said while the load ran.
  await page.evaluate(() => {
    window.__panel = [];
    new MutationObserver(() => {
      const t = document.querySelector('[data-testid=load-panel]')?.textContent;
      if (t) window.__panel.push(t);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByTestId('file-input').setInputFiles(fixture(archive));
  await page.locator('.app.loaded[data-tables=ready]').waitFor({ timeout: 180_000 });
  return page;
}

/** Runs SQL through the page's SQL console (its own connection, read-only). */
const sql = (page, text) =>
  page.evaluate(async (text) => {
    const r = await window.__otpscopeEngine.console.run(text);
    return JSON.parse(JSON.stringify(r.rows, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
  }, text);

/** Every table and view of the loaded trace: its row count and an order-free digest of its rows. */
async function everyTable(page) {
  const names = (
    await sql(
      page,
      "SELECT table_name FROM duckdb_tables() WHERE database_name = 'otpscope' AND schema_name = 'main' UNION SELECT view_name FROM duckdb_views() WHERE database_name = 'otpscope' AND schema_name = 'main' AND NOT internal ORDER BY 1",
    )
  ).map((r) => r[0]);
  const out = {};
  for (const n of names) out[n] = (await sql(page, `SELECT count(*), bit_xor(hash(x)) FROM "${n}" AS x`))[0].join(' ');
  return out;
}

/** The names in OPFS's otpscope/ folder (the engine's database files). */
const opfsFiles = (page) =>
  page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('otpscope').catch(() => null);
    const names = [];
    if (dir) for await (const name of dir.keys()) names.push(name);
    return names.sort();
  });

const storage = (page) => page.getByTestId('storage').evaluate((e) => ({ where: e.dataset.storage, text: e.textContent, title: e.title }));

test('storage=disk puts the tables in an OPFS database file; every table and query answers as in memory', async () => {
  const memory = await loaded('?storage=memory', 'archives/demo.zip');
  const disk = await loaded('?storage=disk', 'archives/demo.zip');
  await disk.screenshot({ path: `${screenshotDir}/storage-disk.png` });
  assert.deepEqual(await storage(memory), { where: 'memory', text: '', title: 'Tables in memory' });
  const onDisk = await storage(disk);
  assert.equal(onDisk.where, 'disk');
  assert.equal(onDisk.text, 'on disk (OPFS)');
  assert.equal(onDisk.title, 'Tables on disk (OPFS): asked for (storage=disk)');
  // The loading panel said so while the events went in.
  assert.ok((await disk.evaluate(() => window.__panel)).some((t) => t.includes('tables on disk (OPFS)')));
  assert.ok(!(await memory.evaluate(() => window.__panel)).some((t) => t.includes('on disk')));
  // The database file (and its log) are there, under this page's session name.
  const [file] = (await sql(disk, "SELECT path FROM duckdb_databases() WHERE database_name = 'otpscope'"))[0];
  assert.match(file, /^opfs:\/\/otpscope\/[\w-]+\.db$/);
  const name = file.slice('opfs://otpscope/'.length);
  assert.deepEqual(
    (await opfsFiles(disk)).filter((f) => f.startsWith(name)),
    [name, `${name}.wal`],
  );
  assert.equal((await sql(memory, "SELECT path FROM duckdb_databases() WHERE database_name = 'otpscope'"))[0][0], null);

  // Every table and view, row for row (digests), and the documented example checks.
  const want = await everyTable(memory);
  assert.ok(Object.keys(want).length > 20, Object.keys(want).join(' '));
  assert.ok(Number(want.events.split(' ')[0]) > 50, want.events);
  assert.deepEqual(await everyTable(disk), want);
  for (const q of [
    'SELECT kind, count(*) FROM events GROUP BY ALL ORDER BY ALL',
    'SELECT outcome, count(*), sum(latency_ns) FROM calls GROUP BY ALL ORDER BY ALL',
    "SELECT count(*) FROM processes WHERE exit_reason IS NOT NULL AND exit_reason NOT IN (':normal', ':shutdown')",
    'SELECT node, pid, max(depth) FROM mailbox_depth GROUP BY ALL ORDER BY ALL',
    'SELECT * FROM anomalies ORDER BY ALL',
  ])
    assert.deepEqual(await sql(disk, q), await sql(memory, q), q);
  // The views answer the same (they read through the engine's own connection).
  const views = (page) => page.evaluate(() => window.__otpscopeEngine.views.overviewCounts());
  assert.deepEqual(await views(disk), await views(memory));
  assert.equal(await disk.getByTestId('count-processes').textContent(), await memory.getByTestId('count-processes').textContent());
  // The console (and an expectations file) can neither write into the folder nor touch the database file.
  const files = await opfsFiles(disk);
  for (const q of [
    "COPY (SELECT 1) TO 'opfs://otpscope/x.csv'",
    `COPY (SELECT 1) TO '${file}'`,
    "COPY (SELECT 1) TO 'opfs://elsewhere.csv'",
    `ATTACH '${file}' AS again`,
    "SELECT * FROM read_csv('opfs://elsewhere.csv')",
  ])
    await assert.rejects(sql(disk, q), undefined, q);
  assert.deepEqual(await opfsFiles(disk), files);
  assert.deepEqual(await sql(disk, 'SELECT count(*) FROM events'), await sql(memory, 'SELECT count(*) FROM events'));
  await memory.close();
  await disk.close();
  assert.deepEqual(outside, []);
});

test('a page removes the database files closed pages left in OPFS, not those an open page holds', async () => {
  const holder = await loaded('?storage=disk', 'archives/crash.zip');
  const held = await opfsFiles(holder);
  assert.ok(
    held.some((f) => f.endsWith('.db')),
    held.join(' '),
  );
  // Files an earlier page left behind (its page is gone, nothing holds them).
  await holder.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('otpscope', { create: true });
    for (const name of ['earlier-page.db', 'earlier-page.db.wal']) {
      const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await w.write('left behind');
      await w.close();
    }
  });
  assert.deepEqual(
    (await opfsFiles(holder)).filter((f) => f.startsWith('earlier')),
    ['earlier-page.db', 'earlier-page.db.wal'],
  );
  const next = await context.newPage();
  await next.goto(site.origin + '/');
  await next.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  // The new page's engine removes what no page holds, in the background, once it is ready (polled: a predicate
  // given to waitForFunction may not be async).
  for (let i = 0; (await opfsFiles(next)).some((f) => f.startsWith('earlier-page')); i++) {
    assert.ok(i < 600, `still there: ${(await opfsFiles(next)).join(' ')}`);
    await next.waitForTimeout(100);
  }
  for (const f of held) assert.ok((await opfsFiles(next)).includes(f), `${f} is held by an open page`);
  // The page holding them still answers from its file.
  assert.ok(Number((await sql(holder, 'SELECT count(*) FROM events'))[0][0]) > 0);
  await holder.close();
  await next.close();
  assert.deepEqual(outside, []);
});
