// What a user chooses about a load from the page: an archive over a size ceiling (the zip-bomb guard) loaded
// again with higher limits from the error bar; how raw dbg/ttb traces print charlists, kept across visits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startSite, openBrowser, blockOtherOrigins, fixture, openPanel } from './harness.mjs';

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

/** demo.zip with its first central-directory entry declaring 300 MiB uncompressed (over the 256 MiB default). */
async function overDeclared() {
  const bytes = new Uint8Array(await readFile(fixture('archives/demo.zip')));
  const v = new DataView(bytes.buffer);
  let eocd = bytes.length - 22;
  while (v.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const cd = v.getUint32(eocd + 16, true);
  assert.equal(v.getUint32(cd, true), 0x02014b50);
  v.setUint32(cd + 24, 300 * 1024 * 1024, true);
  return [...bytes];
}

test('a file refused for a size ceiling loads again with higher limits from the error bar', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  const bytes = await overDeclared();
  const input = page.getByTestId('file-input');
  await input.setInputFiles({ name: 'declared-big.zip', mimeType: 'application/zip', buffer: Buffer.from(bytes) });
  const error = page.getByTestId('load-error');
  await error.filter({ hasText: /per-entry limit of 268435456 bytes \(256\.0 MiB\)/ }).waitFor({ timeout: 120_000 });
  assert.match(await error.innerText(), /declared-big\.zip.*raise the limit/s);
  const raise = page.getByTestId('raise-limits');
  assert.match(await raise.innerText(), /Load declared-big\.zip again with higher limits/);
  await raise.click();
  // Loaded again under 1 GiB / 16 GiB: the ceiling no longer refuses it, the reader's own check does.
  await page
    .getByTestId('load-error')
    .filter({ hasNotText: /256\.0 MiB/ })
    .first()
    .waitFor({ timeout: 120_000 });
  const text = await page.getByTestId('load-errors').innerText();
  assert.doesNotMatch(text, /256\.0 MiB/);
  assert.match(text, /declared-big\.zip/);
  assert.equal(await page.getByTestId('raise-limits').count(), 0);
  assert.deepEqual(outside, []);
  await page.close();
});

test("raw traces' charlists: the start page's choice applies to the next load and is kept across visits", async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  const select = page.getByTestId('raw-charlists').locator('select');
  assert.equal(await select.inputValue(), 'sigil');
  await select.selectOption('quotes');
  await page.reload();
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  assert.equal(await page.getByTestId('raw-charlists').locator('select').inputValue(), 'quotes');
  await page.getByTestId('file-input').setInputFiles(fixture('dbg/exiting.trace'));
  await page.getByTestId('overview').waitFor({ timeout: 120_000 });
  await openPanel(page, 'sql');
  await page.getByTestId('sql-input').fill(`SELECT term FROM events WHERE term LIKE '%otps_echo.erl%' LIMIT 1`);
  await page.getByTestId('sql-run').click();
  await page.getByTestId('sql-rowcount').filter({ hasText: /1 row/ }).waitFor({ timeout: 60_000 });
  const text = await page.getByTestId('panel-sql').innerText();
  assert.match(text, /file: 'test\/fixtures\/otps_echo\.erl'/);
  assert.doesNotMatch(text, /~c"test/);
  assert.deepEqual(outside, []);
  await page.evaluate(() => localStorage.removeItem('otpscope.rawCharlists'));
  await page.close();
});
