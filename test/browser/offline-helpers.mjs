// Helpers for tests that serve the site some other way (a sub-path, the airgapped package) and cut the network.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';

/** Waits for the engine and for the service worker to be active (it has precached the app by then). */
export async function readyWithServiceWorker(page) {
  await page.getByTestId('engine-status').filter({ hasText: /ready/ }).waitFor({ timeout: 120_000 });
  // `ready` resolves once a worker is active, which may still be "activating" (the engine can be ready first).
  const state = await page.evaluate(async () => {
    const sw = (await navigator.serviceWorker.ready).active;
    if (sw?.state === 'activating') await new Promise((done) => sw.addEventListener('statechange', () => sw.state !== 'activating' && done()));
    return sw?.state;
  });
  assert.equal(state, 'activated');
}

/** Cuts the context's network and proves it: navigator.onLine turns false and a request no cache can answer fails. */
export async function cutNetwork(context, page) {
  await context.setOffline(true);
  await page.waitForFunction(() => navigator.onLine === false, null, { timeout: 60_000 });
  await assertNetworkGone(page);
}

export async function assertNetworkGone(page) {
  const uncached = await page.evaluate(() =>
    fetch(`./not-precached-${Date.now()}.txt`).then(
      (r) => `answered ${r.status}`,
      () => 'failed',
    ),
  );
  assert.equal(uncached, 'failed', 'the network is cut');
}

/** Loads a file through the start page's file input and waits for the process tree. */
export async function loadThroughPicker(page, file) {
  await page.getByTestId('file-input').setInputFiles(file);
  await page.getByTestId('process-row').first().waitFor({ timeout: 120_000 });
}

/**
 * Waits until the recent archives (IndexedDB `otpscope`, store `recent-archives`, src/ui/lib/recent-archives.svelte.ts)
 * hold the load named `id`. The app keeps a load once it has shown it, so a test that reloads right after a load
 * waits for this first: the write is not finished when the views appear, on a busy machine especially.
 */
export async function keptInBrowser(page, id) {
  // Polled from here: a predicate given to waitForFunction may not be async (its promise counts as true at once).
  const kept = () =>
    page.evaluate(
      async (key) =>
        // Never opened here before the app has made it: opening creates it, without the app's store.
        (await indexedDB.databases()).some((d) => d.name === 'otpscope') &&
        new Promise((resolve) => {
          const r = indexedDB.open('otpscope');
          r.onerror = () => resolve(false);
          r.onsuccess = () => {
            const db = r.result;
            if (!db.objectStoreNames.contains('recent-archives')) return (db.close(), resolve(false));
            const get = db.transaction('recent-archives').objectStore('recent-archives').getKey(key);
            get.onsuccess = () => (db.close(), resolve(get.result !== undefined));
            get.onerror = () => (db.close(), resolve(false));
          };
        }),
      id,
    );
  for (let i = 0; !(await kept()); i++) {
    if (i >= 600) throw new Error(`${id} was not kept in this browser's recent archives within a minute`);
    await page.waitForTimeout(100);
  }
}

/** Runs `node args...`, resolving with the first line matching `pattern` on stdout; returns the match and a stop function. */
export async function startNode(args, pattern, cwd) {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const match = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`node ${args.join(' ')} exited ${code}: ${err}${out}`)));
  });
  const stop = () =>
    new Promise((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r();
      child.once('exit', r);
      child.kill();
    });
  return { match, stop };
}
