// How the site's builds (vite.config.ts, the bench page in bench/browser/bench-page.ts) find DuckDB-WASM: its
// browser blocking build by path, and its wasm as the site ships it: the export section cut to what the glue reads
// (src/engine/duckdb/glue-exports.ts), then the code only those exports, the start function and the table's
// elements reach, kept by binaryen's wasm-opt (`--remove-unused-module-elements`: a tenth of the file was reachable
// only from the cut exports). The shipped wasm is written once per package version, glue-exports.ts, binaryen
// version and wasm-opt's options under tmp/ (git-ignored; wasm-opt takes a minute or two on this module) and
// imported as `otpscope:duckdb-eh.wasm?url`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripExports } from '../src/engine/duckdb/glue-exports.ts';

const require = createRequire(import.meta.url);
const duckdbDist = path.dirname(require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs'));

/**
 * wasm-opt's options: the features the module uses (it has no target_features section; binaryen's validator names
 * any other it meets) and dead-code removal alone. The module is a dynamic-linking main module: its table and memory
 * are imported, so every function in its element segment (C++ vtables, function pointers) stays, and so does
 * everything those reach. A size pass (-Os) was measured and dropped, docs/PERFORMANCE.md.
 */
export const WASM_OPT_OPTIONS = ['--enable-exception-handling', '--enable-sign-ext', '--enable-mutable-globals', '--remove-unused-module-elements'];

const versionIn = (packageJson: string): string => (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

/** Runs binaryen's wasm-opt (its Node build, a devDependency) on `input`, writing `output`. */
export function wasmOpt(input: string, output: string, options: string[] = WASM_OPT_OPTIONS): void {
  execFileSync(process.execPath, [require.resolve('binaryen/bin/wasm-opt'), input, ...options, '-o', output], { stdio: 'inherit' });
}

/** The path of the wasm the site ships (written under tmp/ on first use, above). */
export function shippedDuckDbWasm(): string {
  const key = createHash('sha256')
    .update(readFileSync(new URL('../src/engine/duckdb/glue-exports.ts', import.meta.url)))
    .update(`binaryen ${versionIn(require.resolve('binaryen/package.json'))} ${WASM_OPT_OPTIONS.join(' ')}`)
    .digest('hex')
    .slice(0, 8);
  const file = fileURLToPath(new URL(`../tmp/duckdb-eh-${versionIn(path.join(duckdbDist, '..', 'package.json'))}-${key}.wasm`, import.meta.url));
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file + '.cut', stripExports(readFileSync(path.join(duckdbDist, 'duckdb-eh.wasm'))));
    wasmOpt(file + '.cut', file + '.part');
    rmSync(file + '.cut');
    renameSync(file + '.part', file);
  }
  return file;
}

/** Vite `resolve.alias` entries for DuckDB-WASM. */
export function duckdbAliases(): { find: string | RegExp; replacement: string }[] {
  return [
    // The package exports no browser blocking build; import the file itself.
    { find: '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs', replacement: path.join(duckdbDist, 'duckdb-browser-blocking.mjs') },
    { find: /^otpscope:duckdb-eh\.wasm(?=\?url$)/, replacement: shippedDuckDbWasm() },
  ];
}
