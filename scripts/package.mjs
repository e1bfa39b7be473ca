#!/usr/bin/env node
// npm run package: the built analyzer (dist/) as one zip to carry onto an airgapped machine,
// release/otpscope-site-VERSION.zip, with release/otpscope-site-VERSION.zip.sha256 beside it.
// The zip holds otpscope-site-VERSION/{site/, serve.mjs, README.txt}: serve.mjs is `otpscope serve`
// (src/cli/serve.ts) bundled into one file that needs Node's standard library only. The zip is written here with
// zlib (deflate) so packaging needs no zip tool.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build } from 'vite';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8'));
const dist = path.join(repo, 'dist');
if (!(await stat(path.join(dist, 'index.html')).catch(() => null))) {
  console.error('package: dist/index.html missing: build the analyzer first (npx vite build)');
  process.exit(1);
}
const top = `otpscope-site-${version}`;
const outDir = path.resolve(process.argv[2] ?? path.join(repo, 'release'));

/** Every file under `dir`, as paths relative to it with / separators, sorted (a stable zip for a stable tree). */
async function walk(dir, rel = '') {
  const out = [];
  for (const e of (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

const entries = [];
for (const f of await walk(dist)) entries.push({ name: `${top}/site/${f}`, data: await readFile(path.join(dist, f)) });
const bundled = await mkdtemp(path.join(tmpdir(), 'otpscope-serve-'));
await build({
  configFile: false,
  logLevel: 'warn',
  build: {
    ssr: path.join(repo, 'scripts/package/serve-entry.ts'),
    outDir: bundled,
    target: 'node18',
    minify: false,
    emptyOutDir: true,
    rollupOptions: { output: { format: 'es', entryFileNames: 'serve.mjs' } },
  },
});
entries.push({ name: `${top}/serve.mjs`, data: await readFile(path.join(bundled, 'serve.mjs')) });
await rm(bundled, { recursive: true, force: true });
const readme = (await readFile(path.join(repo, 'scripts/package/README.txt'), 'utf8')).replaceAll('VERSION', version);
entries.push({ name: `${top}/README.txt`, data: Buffer.from(readme) });

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// A plain zip (no zip64: the site is ~40 MB); fixed timestamp 1980-01-01 so the same site gives the same bytes.
const parts = [];
const central = [];
let offset = 0;
for (const e of entries) {
  const name = Buffer.from(e.name, 'utf8');
  const packed = deflateRawSync(e.data, { level: 9 });
  const method = packed.length < e.data.length ? 8 : 0;
  const body = method === 8 ? packed : e.data;
  const crc = crc32(e.data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0x0800, 6); // UTF-8 names
  local.writeUInt16LE(method, 8);
  local.writeUInt16LE(0, 10);
  local.writeUInt16LE(0x21, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(body.length, 18);
  local.writeUInt32LE(e.data.length, 22);
  local.writeUInt16LE(name.length, 26);
  parts.push(local, name, body);
  const cd = Buffer.alloc(46);
  cd.writeUInt32LE(0x02014b50, 0);
  cd.writeUInt16LE(0x031e, 4); // made by: Unix, 3.0 (so the mode below applies)
  cd.writeUInt16LE(20, 6);
  cd.writeUInt16LE(0x0800, 8);
  cd.writeUInt16LE(method, 10);
  cd.writeUInt16LE(0, 12);
  cd.writeUInt16LE(0x21, 14);
  cd.writeUInt32LE(crc, 16);
  cd.writeUInt32LE(body.length, 20);
  cd.writeUInt32LE(e.data.length, 24);
  cd.writeUInt16LE(name.length, 28);
  cd.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  cd.writeUInt32LE(offset, 42);
  central.push(cd, name);
  offset += local.length + name.length + body.length;
}
const cdSize = central.reduce((n, b) => n + b.length, 0);
const end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0);
end.writeUInt16LE(entries.length, 8);
end.writeUInt16LE(entries.length, 10);
end.writeUInt32LE(cdSize, 12);
end.writeUInt32LE(offset, 16);
const zip = Buffer.concat([...parts, ...central, end]);

await mkdir(outDir, { recursive: true });
const zipName = `${top}.zip`;
await writeFile(path.join(outDir, zipName), zip);
const sum = createHash('sha256').update(zip).digest('hex');
await writeFile(path.join(outDir, `${zipName}.sha256`), `${sum}  ${zipName}\n`);
console.log(`package: ${path.join(outDir, zipName)} (${(zip.length / 1e6).toFixed(1)} MB, ${entries.length} files), sha256 ${sum}`);
