#!/usr/bin/env node
// Entry of `npx otpscope`. Runs the bundled CLI (dist-cli/, made by scripts/build-cli.mjs at `npm install` and
// `npm run build`) when it is there and no source it was made from has changed since; otherwise the TypeScript
// CLI through tsx (no build step), so the CLI always runs the same readers and engine source as the browser.
// The bundle saves the seconds of CPU tsx spends transpiling at every start.
import { readFileSync, statSync } from 'node:fs';

// The phases' performance marks (otpscope:*) are read by bench/summary-steps.mjs.
performance.mark('otpscope:cli-start');

const repo = new URL('../', import.meta.url);

/** Whether dist-cli/ holds a bundle at least as new as every source it was made from. */
function bundleIsFresh() {
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(new URL('dist-cli/inputs.json', repo), 'utf8'));
    return inputs.length > 0 && inputs.every((file) => statSync(new URL(file, repo)).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

let main;
if (process.env.OTPSCOPE_CLI !== 'ts' && bundleIsFresh()) {
  // Native DuckDB's thread starts loading first, beside the CLI's compile (src/cli/prestart.ts).
  (await import(new URL('dist-cli/prestart.mjs', repo).href)).prestart(process.argv.slice(2));
  performance.mark('otpscope:prestarted');
  ({ main } = await import(new URL('dist-cli/main.mjs', repo).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
performance.mark('otpscope:cli-modules');
process.exitCode = await main(process.argv.slice(2));
