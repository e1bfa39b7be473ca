// Shared steps for the timeline, sequence and charts browser tests: serve the
// built site, load a fixture through the file input, open a view by its tab.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { startSite, fixture } from './harness.mjs';

/** The built app (dist/), or another build when TIMELINE_SITE_ROOT names one (a dev page). */
export async function startViewsSite() {
  const root = process.env.TIMELINE_SITE_ROOT;
  if (!root) return startSite();
  const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.zip': 'application/zip' };
  const server = createServer(async (req, res) => {
    let file = path.join(path.resolve(root), decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if ((await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'index.html');
    const body = await readFile(file).catch(() => null);
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Loads archives/`name` through the app's file input. */
export async function loadFixture(page, origin, name) {
  await page.goto(origin + '/');
  await page.getByTestId('file-input').setInputFiles(fixture(`archives/${name}`));
}

/** Clicks the tab (or button) named `name`. */
export async function openTab(page, name) {
  const tab = page.getByRole('tab', { name: new RegExp(`^\\s*${name}\\b`, 'i') }).or(page.getByRole('button', { name: new RegExp(`^\\s*${name}\\s*$`, 'i') }));
  await tab.first().click({ timeout: 120_000 });
}

/** Parses "1.234 ms" / "12 µs" / "3 ns" / "1.2 s" to ns. */
export function parseNs(text) {
  const m = text.match(/(-?[\d.]+)\s*(ns|µs|ms|s)\b/);
  if (!m) throw new Error(`no duration in ${JSON.stringify(text)}`);
  return Number(m[1]) * { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 }[m[2]];
}
