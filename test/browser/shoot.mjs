// Ad-hoc: node test/browser/shoot.mjs [scheme] [panel...] — loads the demo (or ARCHIVE, a file in dist/) and
// screenshots panels to test-results/. SIZE=1024x700 sets the window (default 1280x800).
import { startSite, openBrowser, screenshotDir, openPanel } from './harness.mjs';
const [scheme = 'light', ...panels] = process.argv.slice(2);
const site = await startSite();
const [vw, vh] = (process.env.SIZE ?? '1280x800').split('x').map(Number);
const { browser, context } = await openBrowser({ colorScheme: scheme, viewport: { width: vw, height: vh } });
const page = await context.newPage();
page.on('console', (m) => m.type() === 'error' && console.log('console:', m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
const archive = process.env.ARCHIVE;
await page.goto(site.origin + '/' + (archive ? `?url=./${archive}` : '?demo') + (process.env.HASH ? '#' + process.env.HASH : ''));
await page.getByTestId('process-row').first().waitFor({ timeout: 240000 });
await page.getByTestId('count-processes').waitFor({ timeout: 240000 });
await page.waitForTimeout(500);
// WAIT_BUILT=1: wait for every analysis table (the build panel gone) before the first shot.
if (process.env.WAIT_BUILT) await page.getByTestId('build-panel').waitFor({ state: 'detached', timeout: 240000 });
await page.screenshot({ path: `${screenshotDir}/x-${scheme}-first.png` });
for (const p of panels) {
  if (p.startsWith('shot:')) {
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${screenshotDir}/x-${scheme}-${p.slice(5)}.png` });
    continue;
  }
  if (p.startsWith('click:')) {
    await page.locator(p.slice(6)).first().click();
    await page.waitForTimeout(300);
    continue;
  }
  await openPanel(page, p);
  await page.waitForTimeout(700);
  await page.screenshot({ path: `${screenshotDir}/x-${scheme}-${p}.png` });
}
await browser.close();
await site.close();
