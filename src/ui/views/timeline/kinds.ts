import { KIND_CODES } from '../../../engine/views/timeline';

/**
 * Event kinds as small integers, so per-bucket SQL can return a bit mask of
 * the kinds inside a bucket (`bit_or(1 << code)`) instead of strings, and the
 * renderer can colour a bucket by its most telling kind without another query.
 */
export const KINDS = KIND_CODES;
export type Kind = (typeof KINDS)[number];

/** Colour classes a mark can have; each is a CSS variable read at draw time. */
export const MARK_CLASSES = ['bad', 'life', 'call', 'send', 'receive', 'other'] as const;
export type MarkClass = (typeof MARK_CLASSES)[number];

const CLASS_OF: Record<Kind, MarkClass> = {
  spawn: 'life',
  exit: 'bad',
  link: 'life',
  unlink: 'life',
  register: 'life',
  unregister: 'life',
  send: 'send',
  send_to_dead: 'bad',
  receive: 'receive',
  call: 'call',
  return: 'call',
  exception: 'bad',
  state: 'other',
  snapshot: 'other',
  telemetry: 'other',
  gc: 'other',
  in: 'other',
  out: 'other',
  drop: 'bad',
};

/** Most telling first: a bucket holding an exit shows as an exit. */
const PRIORITY: MarkClass[] = ['bad', 'life', 'call', 'send', 'receive', 'other'];
const CLASS_MASKS = PRIORITY.map((c) => KINDS.reduce((m, k, i) => (CLASS_OF[k] === c ? m | (1 << i) : m), 0));

/** Index into MARK_CLASSES of the most telling kind in a kind mask. */
export function markClassOf(mask: number): number {
  for (let p = 0; p < PRIORITY.length; p++) if (mask & CLASS_MASKS[p]) return MARK_CLASSES.indexOf(PRIORITY[p]);
  return MARK_CLASSES.indexOf('other');
}

/** The kind names in a mask, for tooltips. */
export function kindsOf(mask: number): string[] {
  return KINDS.filter((_, i) => mask & (1 << i));
}
