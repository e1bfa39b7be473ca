// The engine's warm-up (src/engine/warm-up.ts): while the welcome page waits for a file, the page has the engine
// load the bundled demo into a scratch database. It must leave nothing behind (no database, table, macro, row,
// source chip or DuckDB memory: the same as a page whose warm-up never ran), and a load that comes while it runs
// must stop it and load exactly what it loads without one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startSite, openBrowser, blockOtherOrigins, fixture } from './harness.mjs';

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

/** A page at ready; with `warmUp: false` the page's own warm-up never starts (its fetch of the demo fails). */
async function ready({ warmUp = true } = {}) {
  const page = await context.newPage();
  if (!warmUp) await page.route('**/demo/demo.zip', (route) => route.abort());
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  return page;
}

/** Everything the database holds, as the SQL console sees it: databases, schemas, tables with their rows, views, macros; and DuckDB's memory. */
async function contents(page) {
  return page.evaluate(async () => {
    const e = window.__otpscopeEngine;
    const rows = async (sql) => (await e.console.run(sql)).rows.map((r) => r.map(String).join(' '));
    const tables = await rows(`SELECT database_name, schema_name, table_name FROM duckdb_tables() ORDER BY ALL`);
    const counts = [];
    for (const t of tables) {
      const [db, schema, name] = t.split(' ');
      if (db === 'temp') continue;
      counts.push(`${t}: ${(await rows(`SELECT count(*) FROM "${db}"."${schema}"."${name}"`))[0]}`);
    }
    return {
      databases: await rows(`SELECT database_name FROM duckdb_databases() ORDER BY ALL`),
      schemas: await rows(`SELECT database_name, schema_name FROM duckdb_schemas() ORDER BY ALL`),
      tables: counts,
      views: await rows(`SELECT database_name, schema_name, view_name FROM duckdb_views() WHERE NOT internal ORDER BY ALL`),
      macros: await rows(`SELECT database_name, schema_name, function_name FROM duckdb_functions() WHERE NOT internal ORDER BY ALL`),
      duckdbBytes: (await e.memory()).duckdbBytes,
    };
  });
}

/** The warm-up's report: called as the page calls it (the same demo), it answers the page's own run. */
async function warmUp(page) {
  const bytes = [...(await readFile(fixture('archives/demo.zip')))];
  return page.evaluate((bytes) => window.__otpscopeEngine.warmUp([{ name: 'demo.zip', bytes: new Uint8Array(bytes) }]), bytes);
}

/** What the engine answers for a loaded trace: the Overview, the process list, every table's rows. */
async function answers(page) {
  return page.evaluate(async () => {
    const e = window.__otpscopeEngine;
    await e.ready();
    const json = (x) => JSON.parse(JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
    const tables = (await e.console.run(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'otpscope' ORDER BY 1`)).rows.map((r) => r[0]);
    const counts = {};
    for (const t of tables) counts[t] = String((await e.console.run(`SELECT count(*) FROM "${t}"`)).rows[0][0]);
    return json({ overview: await e.views.overview(), processes: await e.views.processList(), counts });
  });
}

test('the warm-up leaves nothing behind: the database, its memory and the welcome page are as without one', async () => {
  const control = await ready({ warmUp: false });
  const page = await ready();
  const report = await warmUp(page);
  assert.equal(report.outcome, 'done', JSON.stringify(report));
  assert.ok(report.statements > 10, `the warm-up ran ${report.statements} statements`);
  const [after, without] = [await contents(page), await contents(control)];
  assert.deepEqual(after.databases, without.databases);
  assert.deepEqual(after.schemas, without.schemas);
  assert.deepEqual(after.tables, without.tables);
  assert.deepEqual(after.views, without.views);
  assert.deepEqual(after.macros, without.macros);
  // DuckDB's own accounting (not the wasm memory, which never shrinks): back to a page's that never warmed up.
  assert.ok(after.duckdbBytes <= without.duckdbBytes + 256 * 1024, `DuckDB holds ${after.duckdbBytes} B after the warm-up, ${without.duckdbBytes} B without`);
  // The page shows no trace of it: still the welcome page, no source, nothing loading, no error.
  assert.equal(await page.locator('.app.loaded').count(), 0);
  assert.equal(await page.getByTestId('source-chip').count(), 0);
  assert.equal(await page.getByTestId('load-panel').count(), 0);
  await page.getByTestId('file-input').waitFor({ state: 'attached' });
  const states = (p) => p.evaluate(async () => (await window.__otpscopeEngine.tables()).map((t) => `${t.name}: ${t.state}`));
  assert.deepEqual(await states(page), await states(control));
  // Once done it does not run again, and a load after it loads as on a page without one.
  assert.deepEqual(await warmUp(page), report);
  for (const p of [page, control]) {
    await p.getByTestId('file-input').setInputFiles(fixture('archives/crash.zip'));
    await p.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  }
  assert.deepEqual(await answers(page), await answers(control));
  await page.close();
  await control.close();
});

test('a load that comes while the warm-up runs stops it, and loads what it loads without one', async () => {
  const control = await ready({ warmUp: false });
  await control.getByTestId('file-input').setInputFiles(fixture('archives/crash.zip'));
  await control.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  const want = await answers(control);
  const crash = [...(await readFile(fixture('archives/crash.zip')))];
  const demo = [...(await readFile(fixture('archives/demo.zip')))];

  // Its statements: a load sent right behind the warm-up meets it reading the demo; one sent once the first
  // view's tables are built in the scratch database meets it building the others.
  for (const when of ['reading', 'building']) {
    const page = await ready({ warmUp: false });
    const { report, loaded } = await page.evaluate(
      async ({ when, crash, demo }) => {
        const e = window.__otpscopeEngine;
        const warm = e.warmUp([{ name: 'demo.zip', bytes: new Uint8Array(demo) }]);
        if (when === 'building') {
          const built = `SELECT count(*) FROM duckdb_tables() WHERE database_name = 'otpscope_warm_up' AND table_name = 'processes'`;
          while (Number((await e.console.run(built)).rows[0][0]) === 0) await new Promise((r) => setTimeout(r, 1));
        }
        const load = e.load([{ name: 'crash.zip', bytes: new Uint8Array(crash) }], undefined, { background: true });
        const report = await warm;
        const loaded = await load;
        return { report, loaded: { sources: loaded.sources.map((s) => s.name), errors: loaded.errors, warnings: loaded.warnings } };
      },
      { when, crash, demo },
    );
    assert.equal(report.outcome, 'stopped', `${when}: ${JSON.stringify(report)}`);
    assert.deepEqual(loaded, { sources: ['crash.zip'], errors: [], warnings: [] }, when);
    assert.deepEqual(await answers(page), want, when);
    const left = await page.evaluate(async () =>
      (await window.__otpscopeEngine.console.run(`SELECT database_name FROM duckdb_databases() ORDER BY ALL`)).rows.map((r) => r[0]),
    );
    assert.ok(!left.includes('otpscope_warm_up'), `${when}: ${left}`);
    // After a load there is nothing to warm: a later call does nothing.
    assert.deepEqual(await warmUp(page), report, when);
    await page.close();
  }
  await control.close();
});

// Regression test for the warm-up running on every visit: seconds of CPU for a page that may never load a file.
test('the page warms up once the user shows they are about to load, not at ready', async () => {
  const page = await context.newPage();
  let fetched = 0;
  await page.route('**/demo/demo.zip', (route) => {
    fetched++;
    return route.continue();
  });
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  await page.waitForTimeout(1000);
  assert.equal(fetched, 0, 'the page fetched the demo for a warm-up before the user did anything');
  await page.getByTestId('pick-files').hover();
  for (let i = 0; fetched === 0 && i < 500; i++) await page.waitForTimeout(20);
  assert.equal(fetched, 1, 'the pointer over the welcome page did not start the warm-up');
  // (the page's own run, or this call's of the same demo if it comes first: the page's call then answers it)
  assert.equal((await warmUp(page)).outcome, 'done');
  assert.equal(fetched, 1);
  await page.close();
});
