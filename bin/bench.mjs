#!/usr/bin/env node
// Entry of `npm run bench` (full run) and `node bin/bench.mjs --quick` (the
// gate's harness check): runs bench/main.ts through tsx, like bin/otpscope.mjs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/main.ts');
process.exitCode = await main(process.argv.slice(2));
