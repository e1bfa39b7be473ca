/**
 * Bounded raw-deflate inflation for zip entries.
 *
 * A deflate stream can expand about 1032 times, and a zip header's sizes are
 * only claims: a 5 MB entry declared as 1,000 bytes can inflate to 5 GB. So
 * the compressed bytes go into the platform's `DecompressionStream` in small
 * slices while the output is read and counted, and inflation stops (the
 * stream cancelled) as soon as the output passes `maxBytes`. What is held at
 * that moment is `maxBytes` plus at most one slice's worth of output.
 */

/** Compressed bytes handed to the decompressor at a time: at most ~16 MiB of output each, whatever the platform buffers. */
const SLICE = 16 * 1024;

/** Thrown when the output passes `maxBytes`; `produced` is how many bytes were inflated before stopping. */
export class InflateLimitError extends Error {
  constructor(
    readonly maxBytes: number,
    readonly produced: number,
  ) {
    super(`inflates to more than ${maxBytes} bytes (stopped after ${produced})`);
    this.name = 'InflateLimitError';
  }
}

/** Inflates raw deflate data, refusing to produce more than `maxBytes`. */
export async function inflateRawLimited(comp: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  let stopped = false;
  // Write and read concurrently: with backpressure, awaiting all the writes first would stall.
  const written = (async () => {
    for (let p = 0; p < comp.length && !stopped; p += SLICE) await writer.write(comp.subarray(p, p + SLICE) as Uint8Array<ArrayBuffer>);
    if (!stopped) await writer.close();
  })();
  written.catch(() => {});
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      stopped = true;
      await reader.cancel().catch(() => {});
      throw new InflateLimitError(maxBytes, total);
    }
    chunks.push(value);
  }
  await written;
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) (out.set(c, o), (o += c.length));
  return out;
}
