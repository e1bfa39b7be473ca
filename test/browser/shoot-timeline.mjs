// Screenshots of the timeline on the app's bundled demo at 1440x900 and 1024x700, light and dark, with an
// area selected (its table open): `node test/browser/shoot-timeline.mjs [outdir]` after `npx vite build`.
import { mkdir } from 'node:fs/promises';
import { startSite, openBrowser, openPanel, screenshotDir } from './harness.mjs';

const out = process.argv[2] ?? screenshotDir;
await mkdir(out, { recursive: true });
const site = await startSite();
try {
  for (const [width, height] of [
    [1440, 900],
    [1024, 700],
  ]) {
    for (const colorScheme of ['light', 'dark']) {
      const { browser, context } = await openBrowser({ colorScheme, viewport: { width, height } });
      const page = await context.newPage();
      await page.goto(site.origin + '/?demo');
      await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
      await openPanel(page, 'timeline');
      await page
        .getByTestId('timeline-window')
        .filter({ hasText: /visible/ })
        .waitFor({ timeout: 120_000 });
      await page.waitForTimeout(1000);
      await page.screenshot({ path: `${out}/timeline-${width}-${colorScheme}.png` });
      const box = await page.getByTestId('timeline-canvas').boundingBox();
      await page.keyboard.down('Shift');
      await page.mouse.move(box.x + box.width * 0.3, box.y + 40);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 6 });
      await page.mouse.up();
      await page.keyboard.up('Shift');
      await page.getByTestId('timeline-area-slices-row').first().waitFor({ timeout: 60_000 });
      await page.screenshot({ path: `${out}/timeline-area-${width}-${colorScheme}.png` });
      await browser.close();
    }
  }
} finally {
  await site.close();
}
