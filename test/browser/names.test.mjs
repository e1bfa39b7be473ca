// Long names lose their middle, not their end, and only when they must: in the process tree the last segment of
// a name (`WorkerB`, `collector`) stays readable at any width, the full name is on hover, and names that fit are
// whole; the causal graph's lane labels keep their pid whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite, openBrowser, fixture, openPanel } from './harness.mjs';

let site, browser, context;
before(async () => {
  site = await startSite();
  ({ browser, context } = await openBrowser({ viewport: { width: 1024, height: 700 } }));
});
after(async () => {
  await browser?.close();
  await site?.close();
});

test('process tree names elide in the middle with the full name on hover; causal lane labels keep the pid', async () => {
  const page = await context.newPage();
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  await page.getByTestId('file-input').setInputFiles(fixture('archives/demo.zip'));
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
  const rows = await page.getByTestId('process-row').evaluateAll((els) =>
    els.map((el) => {
      const box = el.getBoundingClientRect();
      return Array.from(el.querySelectorAll('.elide'), (e) => {
        const head = e.querySelector('.head');
        const tail = e.querySelector('.tail').getBoundingClientRect();
        return {
          title: e.getAttribute('title'),
          text: e.textContent,
          cut: head.scrollWidth > head.clientWidth,
          tailInside: tail.left >= box.left - 0.5 && tail.right <= box.right + 0.5,
        };
      });
    }),
  );
  const names = rows.flat();
  assert.ok(names.length > 20, `names shown: ${names.length}`);
  for (const n of names) {
    assert.equal(n.title, n.text, 'the full name on hover');
    assert.ok(n.tailInside, `the end of ${n.title} is visible`);
  }
  const worker = names.find((n) => n.title === 'OtpscopeDemo.WorkerB');
  assert.ok(worker, 'WorkerB is in the tree');
  assert.ok(
    names.some((n) => n.cut),
    'at 1024 px some long names are cut',
  );
  assert.ok(
    names.some((n) => !n.cut && n.title.length > 8),
    'names that fit are whole',
  );

  // The causal chain of WorkerB's reply: lanes labelled `name <pid>` within 24 characters, the pid whole.
  await page.locator('[data-testid=process-row][data-pid="<0.138.0>"]').click();
  await openPanel(page, 'state');
  await page.getByTestId('state-term').filter({ hasText: 'pings_received: 3' }).waitFor({ timeout: 60_000 });
  await page.locator('.meta button.link').click();
  await page.getByTestId('why').click();
  await page.getByTestId('causal-graph').locator('circle').nth(2).waitFor({ timeout: 60_000 });
  const lanes = await page
    .getByTestId('causal-graph')
    .locator('text.lanelabel')
    .evaluateAll((ts) =>
      ts.map((t) => ({ full: t.querySelector('title').textContent, shown: t.textContent.slice(t.querySelector('title').textContent.length) })),
    );
  assert.deepEqual(
    lanes.map((l) => l.full),
    ['OtpscopeDemo.WorkerA <0.139.0>', 'OtpscopeDemo.WorkerB <0.138.0>'],
  );
  for (const l of lanes) {
    assert.ok(l.shown.length <= 24, l.shown);
    assert.match(l.shown, /^Otp.*…Worker[AB] <0\.13[89]\.0>$/);
  }
  await page.close();
});
