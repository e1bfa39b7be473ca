import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { initTheme } from './lib/theme';

initTheme();

const target = document.getElementById('app');
if (target === null) throw new Error('#app element missing from index.html');
mount(App, { target });

// Offline support: the service worker precaches the app, the worker and the DuckDB wasm.
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  navigator.serviceWorker.register('./sw.js').catch(() => {
    /* private windows and file:// have no service workers; the app still runs */
  });
}
