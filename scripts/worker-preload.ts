// The engine worker's entry (src/engine/duckdb/worker-boot.ts) loads the engine's chunk with a dynamic import().
// That chunk statically imports a small shared chunk (the bundler's runtime helpers), which the browser can only
// request once the engine chunk has arrived and been parsed; and the engine chunk arrives while the worker's
// thread is busy taking in the 27 MB wasm, so that second request went out ~0.1-0.2 s late on every start.
// A worker has no <link rel="modulepreload">; this plugin gives the entry a static import of each such chunk
// instead, so it is fetched with the entry, long before the engine chunk asks for it.
import path from 'node:path';
import type { Plugin } from 'vite';

/** Vite plugin for the worker build: the entry `entryPath` statically imports its dynamic imports' leaf chunks. */
export function workerPreload(entryPath: string): Plugin {
  return {
    name: 'otpscope-worker-preload',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
      const entry = chunks.find((c) => c.isEntry && c.facadeModuleId === entryPath);
      if (entry === undefined) return;
      const byName = new Map(chunks.map((c) => [c.fileName, c]));
      const preload = new Set<string>();
      for (const dynamic of entry.dynamicImports) {
        for (const dep of byName.get(dynamic)?.imports ?? []) {
          // Only chunks that import nothing: they cannot depend on the entry, whose code has not run yet when
          // its own static imports are evaluated.
          if (dep !== entry.fileName && byName.get(dep)?.imports.length === 0) preload.add(dep);
        }
      }
      const rel = (file: string) => './' + path.posix.relative(path.posix.dirname(entry.fileName), file);
      entry.code = [...preload].map((file) => `import ${JSON.stringify(rel(file))};`).join('') + entry.code;
      entry.imports.push(...preload);
    },
  };
}
