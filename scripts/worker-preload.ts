// The engine worker's entry (src/engine/duckdb/worker-boot.ts) loads the engine's chunk with a dynamic import().
// That chunk statically imports a small shared chunk (the bundler's runtime helpers), which the browser can only
// request once the engine chunk has arrived and been parsed; and the engine chunk arrives while the worker's
// thread is busy taking in the 27 MB wasm, so that second request went out ~0.1-0.2 s late on every start.
// A worker has no <link rel="modulepreload">; this plugin starts each such chunk's request from the entry instead,
// with a dynamic import() at its top, so it is under way with the engine's and the wasm's requests. Not a static
// import: the entry's code (the wasm's fetch, the engine's import) would then wait for that chunk's round trip
// (~20-35 ms through the service worker in a trace of a warm visit) before it could run at all.
import path from 'node:path';
import type { Plugin } from 'vite';

/** Vite plugin for the worker build: the entry `entryPath` requests its dynamic imports' leaf chunks as it starts. */
export function workerPreload(entryPath: string): Plugin {
  return {
    name: 'otpscope-worker-preload',
    apply: 'build',
    // The code below is added after the file names are hashed; the name follows the rest of the entry's content (its
    // import() of the engine's chunk names that chunk and so, through its import, the helper chunk), and this salt
    // stands for what the plugin adds, so that a change here gives the entry a new name.
    augmentChunkHash(chunk) {
      if (chunk.isEntry && chunk.facadeModuleId === entryPath) return 'otpscope-worker-preload: import()';
    },
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
      const entry = chunks.find((c) => c.isEntry && c.facadeModuleId === entryPath);
      if (entry === undefined) return;
      const byName = new Map(chunks.map((c) => [c.fileName, c]));
      const preload = new Set<string>();
      for (const dynamic of entry.dynamicImports) {
        for (const dep of byName.get(dynamic)?.imports ?? []) {
          // Only chunks that import nothing: evaluated on arrival, they must not depend on the entry's code.
          if (dep !== entry.fileName && byName.get(dep)?.imports.length === 0) preload.add(dep);
        }
      }
      const rel = (file: string) => './' + path.posix.relative(path.posix.dirname(entry.fileName), file);
      // A failure is the engine chunk's to report, when its own import of the chunk fails.
      entry.code = [...preload].map((file) => `import(${JSON.stringify(rel(file))}).catch(() => {});`).join('') + entry.code;
      entry.dynamicImports.push(...preload);
    },
  };
}
