// An archive over a size ceiling (the zip-bomb guard) can be loaded again with higher limits from the page:
// the error names the limit, a button loads the same file again with the ceilings raised, and the next
// answer is the reader's (here: the entry does not hold what it declares), not the ceiling.
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
  await error.filter({ hasText: /per-entry limit of 256 MiB/ }).waitFor({ timeout: 120_000 });
  assert.match(await error.innerText(), /declared-big\.zip.*raise the limit/s);
  const raise = page.getByTestId('raise-limits');
  assert.match(await raise.innerText(), /Load declared-big\.zip again with higher limits/);
  await raise.click();
  // Loaded again under 1 GiB / 16 GiB: the ceiling no longer refuses it, the reader's own check does.
  await page
    .getByTestId('load-error')
    .filter({ hasNotText: /limit of 256 MiB/ })
    .first()
    .waitFor({ timeout: 120_000 });
  const text = await page.getByTestId('load-errors').innerText();
  assert.doesNotMatch(text, /256 MiB/);
  assert.match(text, /declared-big\.zip/);
  assert.equal(await page.getByTestId('raise-limits').count(), 0);
  assert.deepEqual(outside(), []);
  await page.close();
});
