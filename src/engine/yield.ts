/**
 * Lets queued messages (cancel, progress) through between batches. A message
 * to ourselves rather than setTimeout(0): timers set from timer callbacks are
 * clamped to 4 ms, once per batch.
 */
/** The part of MessageChannel used here, typed for both the worker (DOM) and Node (ref/unref on ports). */
type Port = { onmessage: ((ev: unknown) => void) | null; postMessage(message: unknown): void; ref?: () => void; unref?: () => void };
type Channel = { port1: Port; port2: Port };
const Channels = (globalThis as unknown as { MessageChannel?: new () => Channel }).MessageChannel;
let channel: Channel | undefined;
const waiting: (() => void)[] = [];
export function yieldToEventLoop(): Promise<void> {
  if (Channels === undefined) return new Promise((resolve) => setTimeout(resolve, 0));
  if (channel === undefined) {
    const c = new Channels();
    c.port1.onmessage = () => {
      waiting.shift()?.();
      // Node: an idle listening port would keep the process alive after the CLI is done.
      if (waiting.length === 0) c.port1.unref?.();
    };
    channel = c;
  }
  const c = channel;
  return new Promise((resolve) => {
    waiting.push(resolve);
    c.port1.ref?.();
    c.port2.postMessage(null);
  });
}
