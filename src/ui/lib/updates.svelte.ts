import { Workbox } from 'workbox-window';

/**
 * The service worker (offline support: it precaches the app, the worker and
 * the DuckDB wasm) and its updates. A new version installs in the background
 * and then waits: `waiting` turns true and the page offers to reload
 * (UpdatePrompt.svelte). Only the user's click activates it and reloads,
 * so a loaded trace is never lost to an update.
 */
export class Updates {
  waiting = $state(false);
  #wb: Workbox | undefined;

  start(): void {
    if (!('serviceWorker' in navigator) || !import.meta.env.PROD) return;
    const wb = new Workbox('./sw.js');
    wb.addEventListener('waiting', () => (this.waiting = true));
    wb.register().catch(() => {
      /* private windows and file:// have no service workers; the app still runs */
    });
    this.#wb = wb;
  }

  /** Activates the waiting version and reloads once it controls the page. */
  apply(): void {
    const wb = this.#wb;
    if (!wb) return;
    wb.addEventListener('controlling', () => location.reload());
    wb.messageSkipWaiting();
  }
}
