import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY } from './src/site/csp.ts';
import { duckdbAliases } from './scripts/duckdb-wasm.ts';
import { workerPreload } from './scripts/worker-preload.ts';
import { engineStart } from './scripts/engine-start.ts';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// A static single-page app. Relative base so the built site works from any
// path (GitHub Pages project sites, a plain static server on an airgapped box).

export default defineConfig({
  base: './',
  resolve: {
    // DuckDB-WASM's browser blocking build by path, and its wasm as the site ships it (scripts/duckdb-wasm.ts).
    alias: duckdbAliases(),
  },
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  plugins: [
    svelte(),
    engineStart(fileURLToPath(new URL('./src/ui/engine-start.ts', import.meta.url))),
    { name: 'otpscope-csp', transformIndexHtml: (html: string) => html.replace('%OTPSCOPE_CSP%', CONTENT_SECURITY_POLICY) },
    VitePWA({
      // A new version waits until the user says so (src/ui/components/UpdatePrompt.svelte): activating it under a
      // loaded trace would mix old and new chunks, and a reload would lose the trace.
      registerType: 'prompt',
      injectRegister: null,
      manifest: {
        name: 'otpscope',
        short_name: 'otpscope',
        description: 'Analyze BEAM traces offline in your browser',
        theme_color: '#1f2937',
        background_color: '#111827',
        display: 'standalone',
        // The installed app opens recordings from the desktop ("Open with"); the files reach the page through
        // window.launchQueue (src/ui/lib/launch-files.ts). ttb: a log's .ti file; the log itself has no extension.
        file_handlers: [{ action: './', accept: { 'application/zip': ['.zip'], 'application/octet-stream': ['.trace', '.ti'] } }],
        icons: [
          { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
        ],
      },
      workbox: {
        // The DuckDB wasm (~34 MB) is precached too: the app must work offline.
        globPatterns: ['**/*.{js,css,html,svg,png,wasm,zip,webmanifest}'],
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallback: 'index.html',
      },
    }),
  ],
  worker: { format: 'es', plugins: () => [workerPreload(fileURLToPath(new URL('./src/engine/duckdb/worker-boot.ts', import.meta.url)))] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      // DuckDB-WASM's Emscripten glue uses direct eval; that is theirs, and expected.
      onwarn(warning, warn) {
        if (warning.code === 'EVAL') return;
        warn(warning);
      },
    },
  },
  server: { port: 5173 },
});
