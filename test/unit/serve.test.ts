import { request, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../src/cli/serve';

// `otpscope serve` as a client sees it: a real server, raw request paths sent unnormalized.
const scratch = mkdtempSync(path.join(tmpdir(), 'otpscope-serve-'));
const root = path.join(scratch, 'dist');
let server: Server;
let port: number;

beforeAll(async () => {
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>otpscope</title>');
  writeFileSync(path.join(root, 'assets', 'app.js'), 'export {};');
  // A sibling whose name starts with the served folder's name: a string-prefix check lets it through.
  mkdirSync(path.join(scratch, 'dist-leak'));
  writeFileSync(path.join(scratch, 'dist-leak', 'secret.txt'), 'SIBLING-SECRET');
  writeFileSync(path.join(scratch, 'outside.txt'), 'PARENT-SECRET');
  symlinkSync(path.join(scratch, 'outside.txt'), path.join(root, 'link.txt'));
  ({ server } = await serveStatic(root, 0));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(scratch, { recursive: true, force: true });
});

/** GET with the path exactly as given (node:http sends it as is). */
function get(rawPath: string): Promise<{ status: number; body: string; csp: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, csp: res.headers['content-security-policy'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('otpscope serve', () => {
  it('serves the files under its root, with the content security policy', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>otpscope</title>');
    expect(index.csp).toMatch(/default-src 'self'/);
    expect((await get('/assets/app.js')).body).toBe('export {};');
    expect((await get('/assets/./app.js')).status).toBe(200);
    expect((await get('/assets/%61pp.js')).body).toBe('export {};');
    expect((await get('/missing.js')).status).toBe(404);
  });

  // Regression test: the resolved path was only checked to start with the root's path, so
  // /..%2fdist-leak/secret.txt served a file from the sibling folder dist-leak/.
  it('refuses every path that leaves the root, however it is spelled', async () => {
    const escapes = [
      '/..%2fdist-leak/secret.txt',
      '/..%2Fdist-leak%2Fsecret.txt',
      '/%2e%2e/dist-leak/secret.txt',
      '/%2e%2e%2fdist-leak%2fsecret.txt',
      '/../dist-leak/secret.txt',
      '/assets/../../dist-leak/secret.txt',
      '/assets/..%2f..%2fdist-leak/secret.txt',
      '/..%2foutside.txt',
      '/..%5cdist-leak%5csecret.txt',
      '/%00/../outside.txt',
      '/index.html%00.js',
      '/%E0%A4%A', // malformed percent-encoding
    ];
    for (const p of escapes) {
      const r = await get(p);
      // 403, or 404 where URL parsing already folded a plain `..` (or `%2e%2e`) into the root: never the file.
      expect([p, r.status === 403 || r.status === 404]).toEqual([p, true]);
      expect(r.body).not.toMatch(/SECRET/);
    }
    expect((await get('/..%2fdist-leak/secret.txt')).status).toBe(403);
  });

  it('refuses a symbolic link under the root that points outside it', async () => {
    const r = await get('/link.txt');
    expect(r.status).toBe(403);
    expect(r.body).not.toContain('PARENT-SECRET');
  });
});
