/// <reference lib="webworker" />
/**
 * The engine worker's own "nothing leaves the page" policy, installed before anything else runs in it.
 *
 * A page's `<meta>` Content-Security-Policy does not reach a dedicated worker (a worker takes its policy
 * from its own script's response headers, which static hosts such as GitHub Pages cannot set). DuckDB is
 * already locked against files and URLs (duckdb/types.ts); this is the second wall: every way a worker
 * script can start a request (fetch, XMLHttpRequest, WebSocket, EventSource, importScripts) refuses any
 * URL outside the page's origin, with an error that says why.
 */
const scope = self as unknown as WorkerGlobalScope & typeof globalThis;
const origin = scope.location.origin;

function allow(url: string | URL, what: string): void {
  const u = new URL(String(url), scope.location.href);
  if (u.protocol === 'blob:' || u.protocol === 'data:' || u.origin === origin) return;
  throw new DOMException(`${what} to ${u.origin} refused: the otpscope engine never sends a request outside ${origin}`, 'SecurityError');
}

const fetchInPage = scope.fetch.bind(scope);
scope.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
  try {
    allow(input instanceof Request ? input.url : input, 'fetch');
  } catch (e) {
    return Promise.reject(e);
  }
  return fetchInPage(input, init);
};

const open = XMLHttpRequest.prototype.open as (this: XMLHttpRequest, method: string, url: string | URL, ...rest: unknown[]) => void;
XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, method: string, url: string | URL, ...rest: unknown[]) {
  allow(url, 'XMLHttpRequest');
  open.call(this, method, url, ...rest);
} as typeof XMLHttpRequest.prototype.open;

for (const name of ['WebSocket', 'EventSource'] as const) {
  const Original = scope[name] as unknown as (new (url: string | URL, ...rest: unknown[]) => object) | undefined;
  if (Original === undefined) continue;
  const Guarded = function (url: string | URL, ...rest: unknown[]) {
    allow(url, name);
    return new Original(url, ...rest);
  };
  Guarded.prototype = Original.prototype;
  Object.defineProperty(scope, name, { value: Guarded, writable: true, configurable: true });
}

if (typeof scope.importScripts === 'function') {
  const importScripts = scope.importScripts.bind(scope);
  scope.importScripts = (...urls: (string | URL)[]) => {
    for (const u of urls) allow(u, 'importScripts');
    importScripts(...urls);
  };
}

export {};
