// A hostile archive through every view: test/scenarios/hostile.exs records, with the real recorder on a
// real node, a GenServer whose module, registered name, state (keys and values), call request and reply,
// casts, info messages and exit reason carry markup, script, javascript: URLs and right-to-left
// overrides, and whose state holds a ~1 MB binary (max_binary raised). Every view must show it as text:
// no dialog, no element or attribute built from it, no CSP violation, no request off the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSite, openBrowser, blockOtherOrigins, openPanel } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PANELS = [
  'overview',
  'processes',
  'timeline',
  'sequence',
  'state',
  'calls',
  'charts',
  'causality',
  'anomalies',
  'source',
  'sql',
  'expectations',
  'compare',
];
let site, browser, context, outside, dir, archive;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'otpscope-hostile-'));
  const rec = spawnSync('mix', ['run', path.join(root, 'test/scenarios/hostile.exs')], {
    cwd: path.join(root, 'dump_tool'),
    env: { ...process.env, OUT: dir, MIX_ENV: 'dev' },
    encoding: 'utf8',
  });
  assert.equal(rec.status, 0, `recording the hostile scenario failed:\n${rec.stdout}\n${rec.stderr}`);
  archive = path.join(dir, 'hostile.zip');
  site = await startSite();
  ({ browser, context } = await openBrowser());
  outside = await blockOtherOrigins(context, site.origin);
});
after(async () => {
  await browser?.close();
  await site?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Elements or attributes the hostile strings would have made had they been parsed as HTML. Text in a
 * title or aria-label is fine (it is text); handlers, script URLs and the payloads' own elements are not.
 */
function injected() {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (['marquee', 'iframe', 'object', 'embed'].includes(tag) || (tag === 'script' && !el.src)) bad.push(`<${tag}>`);
    if (tag === 'style' && el.textContent.includes('display:none')) bad.push('<style> from the trace');
    if (tag === 'img' && el.getAttribute('src') === 'x') bad.push('<img src=x>');
    if (tag === 'a' && el.textContent.includes("alert('call')")) bad.push('<a> from the trace');
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (
        name.startsWith('on') ||
        name === 'srcdoc' ||
        (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(name) && /^\s*javascript:/i.test(a.value))
      )
        bad.push(`<${tag} ${a.name}="${a.value.slice(0, 60)}">`);
    }
  }
  return bad;
}

test('the hostile archive shows as text in every view: no dialog, no injected node, no CSP violation, no request off the origin', async () => {
  const page = await context.newPage();
  const dialogs = [];
  const violations = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => /Content.Security.Policy|Refused to/i.test(m.text()) && violations.push(m.text()));
  page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 60_000 });
  await page.getByTestId('file-input').setInputFiles(archive);
  await page.getByTestId('process-row').first().waitFor({ timeout: 60_000 });

  // The process tree names the process by its hostile registered name, as text.
  const hostileRow = page.getByTestId('process-row').filter({ hasText: "<img src=x onerror=alert('name')>" });
  await hostileRow.first().waitFor({ timeout: 30_000 });
  await hostileRow.first().click();

  const seen = {};
  for (const p of PANELS) {
    await openPanel(page, p);
    await page.getByTestId(`panel-${p}`).waitFor();
    // Views fill in from the engine asynchronously: give each a moment to draw what it has.
    await page.waitForTimeout(1500);
    seen[p] = await page.getByTestId(`panel-${p}`).innerText();
    assert.deepEqual(await page.evaluate(injected), [], `injected markup in the ${p} view`);
  }
  // The state inspector shows the state's markup literally, keys and values.
  await openPanel(page, 'state');
  const state = page.getByTestId('state-term');
  await state.filter({ hasText: "<script>alert('state')</script>" }).waitFor({ timeout: 30_000 });
  assert.match(await state.innerText(), /<svg onload=alert\('key'\)>/);
  // The SQL console's result table: terms, names and exit reasons as text.
  await openPanel(page, 'sql');
  await page
    .getByTestId('sql-input')
    .fill(
      `SELECT term FROM events WHERE term LIKE '%alert(%' UNION ALL SELECT name FROM processes WHERE name LIKE '%alert(%' UNION ALL SELECT exit_reason FROM processes WHERE exit_reason LIKE '%alert(%'`,
    );
  await page.getByTestId('sql-run').click();
  await page
    .getByTestId('sql-rowcount')
    .filter({ hasText: /\d+ rows/ })
    .waitFor({ timeout: 30_000 });
  const table = await page.getByTestId('panel-sql').innerText();
  for (const s of ["<script>alert('arg')</script>", '<iframe srcdoc=', "<img src=x onerror=alert('exit')>", '<style>*{display:none}</style>'])
    assert.ok(table.includes(s), `SQL results show ${s} as text`);
  assert.deepEqual(await page.evaluate(injected), [], 'injected markup after the SQL results');

  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.deepEqual(violations, [], 'no CSP violation or page error');
  assert.deepEqual(outside, [], 'no request left the origin');
  assert.ok(seen.overview.length > 0 && seen.state.length > 0);
  await page.close();
});
