// The sequence diagram on the demo recording: WorkerA's three gen calls to
// WorkerB ({:ping, pid, "hello from A #n"}) and WorkerB's :ok replies, in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { screenshotDir } from './harness.mjs';
import { openDemoView, closeView, clearLifelines, chooseLifeline } from './timeline-helpers.mjs';

let view, page;

before(async () => {
  view = await openDemoView('Sequence');
  ({ page } = view);
  await page.getByTestId('sequence').waitFor({ timeout: 120_000 });
});
after(() => closeView(view));

const choose = (label) => chooseLifeline(page, label);

test('chosen WorkerA and WorkerB: three {:ping, ...} calls, each followed by its :ok reply', async () => {
  // Start from an explicit choice (whatever was suggested or chosen before).
  await page.getByTestId('sequence-lifeline-chip').first().waitFor({ timeout: 60_000 }); // the suggestion (busiest pair) arrives
  await clearLifelines(page);
  await choose('OtpscopeDemo.WorkerA');
  await choose('OtpscopeDemo.WorkerB');
  assert.deepEqual(
    await page
      .getByTestId('sequence-lifeline-chip')
      .allInnerTexts()
      .then((t) => t.map((s) => s.replace(/[‹›×]/g, '').trim())),
    ['OtpscopeDemo.WorkerA', 'OtpscopeDemo.WorkerB'],
  );
  const msgs = page.getByTestId('sequence-message');
  await msgs.nth(5).waitFor();
  const roles = await msgs.evaluateAll((els) => els.map((e) => e.getAttribute('data-role')));
  const labels = await msgs.evaluateAll((els) => els.map((e) => e.querySelector('text.label')?.textContent ?? ''));
  const titles = await msgs.evaluateAll((els) => els.map((e) => e.querySelector('title')?.textContent ?? ''));
  assert.deepEqual(roles, ['call', 'reply', 'call', 'reply', 'call', 'reply']);
  for (let n = 1; n <= 3; n++) {
    assert.match(labels[(n - 1) * 2], new RegExp(`^call \\{:ping, #PID<0\\.139\\.0>, "hello from A #${n}"\\}`));
    assert.equal(labels[(n - 1) * 2 + 1], 'reply :ok');
    assert.match(titles[(n - 1) * 2], /^\{:"\$gen_call", \{#PID<0\.139\.0>, \[:alias \| #Reference<.*>\]\}, \{:ping/);
  }
  // A call goes A -> B (left to right), its reply B -> A.
  const xs = await msgs.evaluateAll((els) =>
    els.map((e) => [Number(e.querySelector('line.line').getAttribute('x1')), Number(e.querySelector('line.line').getAttribute('x2'))]),
  );
  assert.ok(xs[0][0] < xs[0][1] && xs[1][0] > xs[1][1]);
});

test('hovering a message shows its full text; clicking selects its receive', async () => {
  const first = page.getByTestId('sequence-message').first();
  await first.hover();
  await page.getByTestId('sequence-hover').filter({ hasText: 'hello from A #1' }).waitFor();
  await first.click();
  await page.locator('[data-testid="sequence-message"].selected').first().waitFor();
  assert.equal(await page.locator('[data-testid="sequence-message"].selected').count(), 1);
  await page.screenshot({ path: `${screenshotDir}/sequence-light.png` });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(200);
  await page.screenshot({ path: `${screenshotDir}/sequence-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });
});
