// How the site's builds (vite.config.ts, the bench page in bench/browser/bench-page.ts) find DuckDB-WASM: its
// browser blocking build by path, and its wasm as the site ships it, with the export section cut to what the glue
// reads (src/engine/duckdb/glue-exports.ts). The cut wasm is written once per package version and glue-exports.ts under
// tmp/ (git-ignored) and imported as `otpscope:duckdb-eh.wasm?url`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripExports } from '../src/engine/duckdb/glue-exports.ts';

const require = createRequire(import.meta.url);
const duckdbDist = path.dirname(require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs'));

function shippedDuckDbWasm(): string {
  const version = (JSON.parse(readFileSync(path.join(duckdbDist, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const filter = createHash('sha256')
    .update(readFileSync(new URL('../src/engine/duckdb/glue-exports.ts', import.meta.url)))
    .digest('hex')
    .slice(0, 8);
  const file = fileURLToPath(new URL(`../tmp/duckdb-eh-${version}-${filter}.wasm`, import.meta.url));
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file + '.part', stripExports(readFileSync(path.join(duckdbDist, 'duckdb-eh.wasm'))));
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
