// The airgapped package's serve.mjs: `otpscope serve` (src/cli/serve.ts) bundled by scripts/package.mjs into one
// file that needs Node's standard library only. It serves ./site beside itself.
//   node serve.mjs [--port 8080] [--host 127.0.0.1]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveStatic } from '../../src/cli/serve';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } } });
const site = path.join(path.dirname(fileURLToPath(import.meta.url)), 'site');
serveStatic(site, Number(values.port), values.host).then(
  ({ url }) => {
    console.log(`otpscope analyzer: ${url}`);
    console.log('Everything runs in the browser; nothing is uploaded. Ctrl-C stops this server.');
  },
  (e: unknown) => {
    console.error(`otpscope: cannot serve ${site} on ${values.host}:${values.port}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
