/**
 * Builds bench/web/ with Vite (the app's alias for DuckDB's browser blocking
 * build, ES workers) into bench/.cache/web/, and runs it in the app's origin:
 * Playwright routes `/__bench/*` to the built files and the archive, so the
 * page and the app share one origin and one browser.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CACHE, ROOT } from '../recorder';
import { duckdbAliases } from '../../scripts/duckdb-wasm.ts';

const OUT = path.join(CACHE, 'web');
let built: Promise<void> | undefined;

function buildPage(): Promise<void> {
  built ??= (async () => {
    const { build } = await import('vite');
    await build({
      configFile: false,
      root: path.join(ROOT, 'bench/web'),
      base: './',
      logLevel: 'error',
      resolve: { alias: duckdbAliases() },
      worker: { format: 'es' },
      // Not minified: the page only needs to run, and minifying DuckDB's bundle is most of the build time.
      build: {
        outDir: OUT,
        emptyOutDir: true,
        target: 'es2022',
        minify: false,
        chunkSizeWarningLimit: 100_000,
        reportCompressedSize: false,
        rollupOptions: { onwarn: () => {} },
      },
    });
  })();
  return built;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.zip': 'application/zip' };

type Ctx = {
  newPage(): Promise<any>;
  route(url: string, handler: (route: any) => unknown): Promise<void>;
  unroute(url: string): Promise<void>;
};

export async function benchPage(context: Ctx, origin: string, archive: string, runs: number, log: (s: string) => void): Promise<any> {
  try {
    await buildPage();
  } catch (e) {
    return { notBuilt: `bench page build failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  const pattern = `${origin}/__bench/**`;
  await context.route(pattern, async (route: any) => {
    const url = new URL(route.request().url());
    const rel = decodeURIComponent(url.pathname.slice('/__bench/'.length)) || 'index.html';
    const file = rel === 'archive.zip' ? archive : path.join(OUT, rel);
    const body = await readFile(file).catch(() => null);
    if (body === null) return route.fulfill({ status: 404 });
    return route.fulfill({ status: 200, body, contentType: TYPES[path.extname(file)] ?? 'application/octet-stream' });
  });
  const page = await context.newPage();
  page.on('console', (m: any) => log(`  bench page: ${m.text()}`));
  try {
    await page.goto(`${origin}/__bench/index.html`);
    await page.waitForFunction(() => typeof (globalThis as any).__bench === 'function', null, { timeout: 30_000 });
    const r = await page.evaluate(
      ({ name, runs }: { name: string; runs: number }) =>
        (globalThis as any).__bench({ url: new URL('./archive.zip', (globalThis as any).location.href).href, name, runs }),
      { name: path.basename(archive), runs },
    );
    if (!r.ok) throw new Error(`bench worker: ${r.error}`);
    if (r.errors.length > 0 || r.events === 0) throw new Error(`bench worker loaded ${r.events} events: ${r.errors.join('; ')}`);
    return r;
  } finally {
    await page.close().catch(() => {});
    await context.unroute(pattern);
  }
}
