// `node bench/profile-chromium.mjs ARCHIVE [OUT.cpuprofile] [--after-warm-up]`: one load of ARCHIVE in the built app
// (dist/, run `npx vite build` first) with the engine worker under V8's CPU profiler, from file input to the Overview
// usable (with --after-warm-up the file comes once the engine's warm-up, src/engine/warm-up.ts, is done);
// then `node bench/profile-load.mjs --summary DIR` prints where the worker's time went. Chromium's costs are not
// Node's (TextEncoder.encodeInto, for one, cost far more per call in the worker), so a missed browser goal is
// profiled here rather than through the Node engine.
import { writeFileSync } from 'node:fs';
import { withChromium } from './browser/ui-load.mjs';
const file = process.argv[2];
if (file === undefined) {
  console.error('usage: node bench/profile-chromium.mjs ARCHIVE [OUT.cpuprofile]');
  process.exit(2);
}
const afterWarmUp = process.argv.includes('--after-warm-up');
const out = process.argv.slice(3).find((a) => !a.startsWith('--')) ?? '/tmp/chrome-worker.cpuprofile';
await withChromium(async ({ site, context }) => {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await page.goto(site.origin + '/');
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  if (afterWarmUp)
    console.log(
      'warm-up',
      await page.evaluate(async () => {
        const bytes = new Uint8Array(await (await fetch('./demo/demo.zip')).arrayBuffer());
        return window.__otpscopeEngine.warmUp([{ name: 'demo.zip', bytes }]);
      }),
    );
  const { targetInfos } = await cdp.send('Target.getTargets');
  const w = targetInfos.filter((t) => t.type === 'worker');
  console.log(
    'workers',
    w.map((t) => t.url),
  );
  const engine = w.find((t) => /worker/.test(t.url)) ?? w[0];
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: engine.targetId, flatten: false });
  let id = 0;
  const waiting = new Map();
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    if (m.id && waiting.has(m.id)) {
      waiting.get(m.id)(m);
      waiting.delete(m.id);
    }
  });
  const send = (method, params = {}) =>
    new Promise((res) => {
      const i = ++id;
      waiting.set(i, res);
      cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: i, method, params }) });
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 500 });
  await send('Profiler.start');
  const t0 = Date.now();
  await page.getByTestId('file-input').setInputFiles(file);
  await page.waitForFunction(
    () =>
      document.querySelector('.app.loaded') &&
      document.querySelector('[data-testid="count-processes"]') &&
      !document.querySelector('[data-testid="cancel-load"]'),
    null,
    { timeout: 600_000, polling: 200 },
  );
  console.log('usable', Date.now() - t0, 'ms');
  const r = await send('Profiler.stop');
  writeFileSync(out, JSON.stringify(r.result.profile));
}, undefined);
