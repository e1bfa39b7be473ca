// The page's first script creates the engine's worker (src/ui/engine-start.ts, scripts/engine-start.ts), before the
// main bundle runs: the worker's thread, its entry and DuckDB's wasm start while the bundle is still being read,
// compiled and run. Checked on a first visit and on a visit served by the service worker (the new chunk precached):
// the worker exists before the bundle's first line runs, there is exactly one engine worker (the bundle took the
// early one and made none of its own), the CSP refused nothing, and no request left the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openBrowser, blockOtherOrigins } from './harness.mjs';

let site, browser, context, outside;

before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser({ serviceWorkers: 'allow' }));
  outside = await blockOtherOrigins(context, site.origin);
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/** A visit to ready: the page's marks, the engine workers the page has, and what the CSP refused. */
async function visit(page) {
  const refused = [];
  page.on('console', (m) => /Content.Security.Policy|Refused to/i.test(m.text()) && refused.push(m.text()));
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])));
  const workers = page.workers().filter((w) => /worker-boot/.test(w.url()));
  return { marks, workers, refused };
}

test('the engine worker is created before the main bundle runs, once, on a first and on a service-worker visit', async () => {
  const page = await context.newPage();
  const first = await visit(page);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.close();

  const again = await context.newPage();
  const warm = await visit(again);
  assert.ok(await again.evaluate(() => navigator.serviceWorker.controller !== null), 'the second visit is served by the service worker');
  await again.close();

  for (const [name, v] of Object.entries({ first, warm })) {
    assert.equal(typeof v.marks['otpscope:worker-new'], 'number', `${name}: the worker was created`);
    assert.equal(typeof v.marks['otpscope:main'], 'number', `${name}: the main bundle ran`);
    assert.ok(
      v.marks['otpscope:worker-new'] < v.marks['otpscope:main'],
      `${name}: worker created at ${v.marks['otpscope:worker-new']}, main bundle at ${v.marks['otpscope:main']}`,
    );
    assert.equal(v.workers.length, 1, `${name}: one engine worker (${v.workers.map((w) => w.url()).join(', ')})`);
    assert.deepEqual(v.refused, [], `${name}: the CSP refused nothing`);
  }
  assert.deepEqual(outside, []);
});
