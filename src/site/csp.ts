/**
 * The site's Content-Security-Policy, in one place: the built page carries it as a `<meta>` tag (vite.config.ts),
 * and our servers (`otpscope serve`, `npm start`) also send it as a header on every response, which is the only
 * way a policy reaches the engine worker's script. Requests go to this origin only; `blob:`/`data:` for files
 * the page makes itself; `'wasm-unsafe-eval'` to compile DuckDB's WebAssembly.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'self'",
].join('; ');
