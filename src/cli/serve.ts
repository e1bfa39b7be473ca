import { createServer, type Server } from 'node:http';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../site/csp';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.zip': 'application/zip',
};

/**
 * A plain static file server for the built analyzer: enough for localhost and
 * airgapped machines (the app needs nothing but its own files). It serves
 * files under `root` only: the request path is decoded and judged segment by
 * segment (a `..` segment, written `..%2f` or not, is refused), and the file
 * actually opened, symbolic links resolved, must still be under the root.
 */
export async function serveStatic(root: string, port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const base = await realpath(path.resolve(root)).catch(() => {
    throw new Error(`${root}: no such directory to serve (build the analyzer first: npx vite build)`);
  });
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let file = resolveInside(base, url.pathname);
      if (file === null) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden');
        return;
      }
      const s = await stat(file).catch(() => null);
      if (s?.isDirectory()) file = path.join(file, 'index.html');
      const real = await realpath(file).catch(() => null);
      if (real !== null && !isInside(base, real)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden');
        return;
      }
      const body = real === null ? null : await readFile(real).catch(() => null);
      if (body === null) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}`);
        return;
      }
      // The policy goes on every response: a header is the only way it reaches the engine worker's script.
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
        'content-security-policy': CONTENT_SECURITY_POLICY,
      });
      res.end(body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  return { server, url: `http://${host}:${actualPort}/` };
}

/**
 * The file a URL path names under `base`, or null when the path is malformed
 * or would leave it. Segments are judged after percent-decoding, so `..%2f`
 * and `%2e%2e` are the `..` they spell; a backslash or NUL in a segment is
 * refused outright (Windows separators, C-string cut-offs).
 */
export function resolveInside(base: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..' || s.includes('\\') || s.includes('\0'))) return null;
  const file = path.join(base, ...segments);
  return isInside(base, file) ? file : null;
}

/** Whether `file` is `base` or below it, compared by path segments (not by string prefix: `dist-leak` is not in `dist`). */
function isInside(base: string, file: string): boolean {
  const rel = path.relative(base, file);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}
