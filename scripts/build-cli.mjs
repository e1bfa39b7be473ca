#!/usr/bin/env node
// The CLI as plain JavaScript (`npm run build:cli`, and npm's `prepare` after `npm install`): src/cli and the
// engine bundled into dist-cli/, so `npx otpscope` starts without transpiling TypeScript (tsx costs seconds of
// CPU per call, in the main thread and again in the native DuckDB thread). Packages stay imports of
// node_modules. dist-cli/inputs.json lists the sources the bundle was made from: bin/otpscope.mjs runs the
// bundle only while none of them is newer, and the TypeScript through tsx otherwise, so an edited checkout never
// runs stale code.
//
// node scripts/build-cli.mjs [OUTDIR] [--optional]: OUTDIR (default dist-cli/) must be inside the repository, so
// the bundle finds node_modules; --optional (npm's prepare) turns a failure into a warning, since the CLI runs
// from the TypeScript without the bundle.
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const optional = args.includes('--optional');
const out = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(repo, 'dist-cli'));
try {
  await buildCli();
} catch (e) {
  if (!optional) throw e;
  console.warn(`build-cli: the CLI was not bundled (it runs from the TypeScript through tsx instead): ${e instanceof Error ? e.message : e}`);
}

async function buildCli() {
  const { build } = await import('vite');
  const started = Date.now();
  // Built beside and then moved in place, so a CLI starting meanwhile sees the old bundle or none, never half of one.
  const next = `${out}.${process.pid}.tmp`;
  const result = await build({
    configFile: false,
    // Rolldown warns of dynamic imports of modules that are also imported statically: harmless here.
    logLevel: 'error',
    root: repo,
    publicDir: false,
    // Bundled too, not imported from node_modules: loading node-api's ~120 CommonJS files through Node's ESM
    // loader, and Arrow's ~200 modules, cost ~0.4 s and ~0.3 s of CPU per start; one bundled file each ~0.1 s.
    // node-bindings stays outside: it is the native addon, loaded from its own package (by
    // src/engine/duckdb/node-bindings-node.ts, which skips the package's libc check where npm already made it).
    ssr: { noExternal: ['@duckdb/node-api', 'apache-arrow', 'flatbuffers', 'tslib'] },
    resolve: { alias: [{ find: /^@duckdb\/node-bindings$/, replacement: path.join(repo, 'src/engine/duckdb/node-bindings-node.ts') }] },
    build: {
      ssr: true,
      outDir: next,
      target: 'node20',
      minify: false,
      emptyOutDir: true,
      rollupOptions: {
        input: {
          main: path.join(repo, 'src/cli/main.ts'),
          // Its own file: native-thread-node.ts starts it as a worker thread, from the folder it is in itself.
          'native-worker-boot-node': path.join(repo, 'src/engine/duckdb/native-worker-boot-node.ts'),
          // bin/otpscope.mjs runs this before main.mjs (a few lines; it shares native-thread-node with main.mjs).
          prestart: path.join(repo, 'src/cli/prestart.ts'),
        },
        // No comments, and only ASCII (other characters escaped): every start reads, decodes and compiles these
        // files (~0.4 MB for the DuckDB thread alone, before it can open the database), and Node decodes a file of
        // ASCII text about twice as fast as one with a single other character (a dash in a comment). Not minified:
        // stack traces keep their names and lines.
        output: { format: 'es', entryFileNames: '[name].mjs', chunkFileNames: '[name]-[hash].mjs', comments: false, charset: 'ascii' },
      },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output);
  const inputs = new Set();
  for (const o of outputs)
    if (o.type === 'chunk')
      for (const id of o.moduleIds) {
        const file = id.split('?')[0];
        if (file.startsWith(repo + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`)) inputs.add(path.relative(repo, file));
      }
  if (!(await stat(path.join(next, 'main.mjs')).catch(() => null))) throw new Error(`${next}/main.mjs was not written`);
  await writeFile(path.join(next, 'inputs.json'), JSON.stringify({ builtAt: started, inputs: [...inputs].sort() }, null, 1) + '\n');
  await rm(out, { recursive: true, force: true });
  await rename(next, out);
  console.log(`build-cli: ${path.relative(repo, out)}/ from ${inputs.size} sources in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
