/**
 * Where a name may be cut when it does not fit: the head gives way (ending in "…") and the tail stays, so a name
 * loses its middle and keeps what tells it apart (`OtpscopeDemo.WorkerB` → `Otp…WorkerB`,
 * `:erts_literal_area_collector` → `:erts_lit…collector`, `<0.155.0>` → `<…155.0>`).
 */
export function splitForElision(text: string): { head: string; tail: string } {
  if (text.length <= 6) return { head: '', tail: text };
  // Elixir aliases and dotted/underscored/slashed names keep their last segment when it is short enough to matter.
  // The nearest separator from the end that leaves at least 3 characters after it (`ledger.ex` rather than `ex`).
  let cut = -1;
  for (let i = text.length - 4; i > 0; i--)
    if ('._/'.includes(text[i])) {
      cut = i;
      break;
    }
  const seg = text.length - cut - 1;
  if (cut > 0 && seg <= 16) return { head: text.slice(0, cut + 1), tail: text.slice(cut + 1) };
  const keep = Math.min(12, Math.max(3, Math.floor(text.length / 3)));
  return { head: text.slice(0, text.length - keep), tail: text.slice(text.length - keep) };
}

/** The same for places that cannot shrink text with CSS (SVG): at most `max` characters, the middle replaced by "…". */
export function elideMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…';
  const { tail } = splitForElision(text);
  const keepTail = Math.min(tail.length, Math.floor((max - 1) / 2) + ((max - 1) % 2));
  return text.slice(0, max - 1 - keepTail) + '…' + text.slice(text.length - keepTail);
}

/**
 * The same for text drawn on a canvas: \`text\` fitted to \`maxW\` by \`measure\` (a canvas's measureText width), the
 * middle replaced by "…", the tail that tells names apart kept whole when it fits (then as much of it as fits).
 */
export function elideToWidth(text: string, maxW: number, measure: (s: string) => number): string {
  if (measure(text) <= maxW) return text;
  const { tail } = splitForElision(text);
  const longest = (n: number, fits: (k: number) => boolean): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  if (measure('…' + tail) <= maxW) {
    const head = longest(text.length - tail.length, (k) => measure(text.slice(0, k) + '…' + tail) <= maxW);
    return text.slice(0, head) + '…' + tail;
  }
  const keep = longest(tail.length, (k) => measure('…' + tail.slice(tail.length - k)) <= maxW);
  return keep === 0 ? '' : '…' + tail.slice(tail.length - keep);
}
