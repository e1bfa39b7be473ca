/**
 * Fetches an archive named by `?url=`. The page's CSP allows only its own
 * origin in `connect-src` (by design: otpscope runs airgapped and no request
 * leaves the origin), so a cross-origin URL is refused here with a message
 * that says what to do instead, before the browser blocks it less clearly.
 */
export class BlockedUrlError extends Error {}

export function resolveArchiveUrl(raw: string, base = location.href): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new BlockedUrlError(`?url=${raw}: not a valid URL`);
  }
  if (url.origin !== new URL(base).origin)
    throw new BlockedUrlError(
      `?url=${raw}: otpscope only fetches archives from its own origin (${new URL(base).origin}); the page's Content-Security-Policy blocks other origins so that no trace data or request ever leaves this machine. Download the file and drop it here, or serve it next to otpscope and use a relative URL such as ?url=./traces/${url.pathname.split('/').pop() || 'trace.zip'}.`,
    );
  return url;
}

export async function fetchArchive(url: URL, onBytes?: (done: number, total: number) => void, signal?: AbortSignal): Promise<File> {
  const res = await fetch(url, { signal });
  if (!res.ok) throw new Error(`${url.pathname}: the server answered ${res.status} ${res.statusText}`.trim());
  const total = Number(res.headers.get('content-length') ?? 0);
  const name = decodeURIComponent(url.pathname.split('/').pop() || 'archive.zip');
  if (!res.body) return new File([await res.blob()], name);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let done = 0;
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    parts.push(value);
    done += value.length;
    onBytes?.(done, total);
  }
  return new File(parts as BlobPart[], name);
}
