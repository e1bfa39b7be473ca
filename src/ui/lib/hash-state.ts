import { PANELS, type Panel, type ProcessRef, type Window } from './session.svelte';

/**
 * The view as the URL hash records it: `#a=demo.zip&b=after.zip&p=state&pid=node|<0.1.0>&t=…&v=start-end&seq=12`.
 * Times are absolute ns (the same archive has the same timestamps), so a link
 * reopens the same view once the same archive is loaded.
 */
export interface HashState {
  archive: string | null;
  panel: Panel | null;
  process: ProcessRef | null;
  cursor: bigint | null;
  view: Window | null;
  seq: number | null;
  /** Recording B's file names (the compare view). */
  compare?: string | null;
  /** Pinned timeline lanes (`node|pid`); folded timeline groups (null: the default folding). */
  pins: string[];
  folded: string[] | null;
  /** Timeline lanes the user moved (`node|pid`), in their order; missing in older links. */
  order?: string[];
}

export function encodeHash(h: HashState): string {
  const q = new URLSearchParams();
  if (h.archive) q.set('a', h.archive);
  if (h.compare) q.set('b', h.compare);
  if (h.panel) q.set('p', h.panel);
  if (h.process) q.set('pid', `${h.process.node}|${h.process.pid}`);
  if (h.seq !== null) q.set('seq', String(h.seq));
  if (h.cursor !== null) q.set('t', String(h.cursor));
  if (h.view) q.set('v', `${h.view.start}_${h.view.end}`);
  // Lane keys and group names hold '|' and '›' but never a newline: one entry per line.
  if (h.pins.length > 0) q.set('pin', h.pins.join('\n'));
  if (h.folded !== null) q.set('fold', h.folded.join('\n'));
  if (h.order && h.order.length > 0) q.set('order', h.order.join('\n'));
  return q.toString();
}

export function parseHash(hash: string): HashState {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const int = (s: string | null): bigint | null => (s !== null && /^-?\d+$/.test(s) ? BigInt(s) : null);
  const p = q.get('p');
  const pid = q.get('pid');
  const bar = pid?.lastIndexOf('|') ?? -1;
  const v = q.get('v')?.split('_');
  const vs = v && v.length === 2 ? [int(v[0]), int(v[1])] : null;
  const seq = q.get('seq');
  return {
    archive: q.get('a'),
    panel: p && (PANELS as readonly string[]).includes(p) ? (p as Panel) : null,
    process: pid && bar > 0 ? { node: pid.slice(0, bar), pid: pid.slice(bar + 1) } : null,
    cursor: int(q.get('t')),
    view: vs && vs[0] !== null && vs[1] !== null && vs[0] < vs[1] ? { start: vs[0], end: vs[1] } : null,
    seq: seq !== null && /^\d+$/.test(seq) ? Number(seq) : null,
    compare: q.get('b'),
    pins: (q.get('pin') ?? '').split('\n').filter(Boolean),
    folded: q.has('fold') ? (q.get('fold') ?? '').split('\n').filter(Boolean) : null,
    order: (q.get('order') ?? '').split('\n').filter(Boolean),
  };
}

/** The parts whose change deserves a history entry (back goes to the previous panel or selection, not every cursor nudge). */
export function majorKey(h: HashState): string {
  return [h.archive, h.compare, h.panel, h.process?.node, h.process?.pid, h.seq].join('\u0000');
}
