#!/usr/bin/env node
// Entry of `npx otpscope`: runs the TypeScript CLI through tsx (no build step),
// so the CLI always runs the same readers and engine source as the browser.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
