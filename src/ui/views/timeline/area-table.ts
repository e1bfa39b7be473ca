/**
 * The area selection's tables (Perfetto's area selection): the call slices
 * and the messages in a dragged area, with their columns and sorting. The
 * rows come from the engine (timelineAreaRows); this decides how they read
 * and in which order, and what selecting a row selects.
 */
import type { AreaMessage, AreaSlice } from '../../../engine/views/timeline';
import { formatNs } from './layout';

export type SortDir = 'asc' | 'desc';

export interface Column<R> {
  key: string;
  label: string;
  /** The value sorted by (null sorts last either way). */
  value: (r: R) => string | number | null;
  /** The cell's text. */
  text: (r: R) => string;
  numeric?: boolean;
  /** Share of the table's width (the table is fixed-width: long text elides, the full text is on hover). */
  width: string;
}

const proc = (name: string | null, pid: string | null) => (pid === null ? '?' : name ? `${name} ${pid}` : pid);
const time = (t: number | null) => (t === null ? '—' : formatNs(t));

export const SLICE_COLUMNS: Column<AreaSlice>[] = [
  { key: 'mfa', width: '31%', label: 'Function', value: (r) => r.mfa, text: (r) => r.mfa },
  { key: 'process', width: '27%', label: 'Process', value: (r) => proc(r.name, r.pid), text: (r) => proc(r.name, r.pid) },
  { key: 'start', width: '16%', label: 'Start', value: (r) => r.start, text: (r) => formatNs(r.start), numeric: true },
  {
    key: 'duration',
    width: '16%',
    label: 'Duration',
    value: (r) => r.duration,
    // a call of a function traced without returns: an instant, its duration unknown
    text: (r) => (r.noReturn ? 'unknown' : `${r.open || r.inDrop ? '≥ ' : r.untraced ? '≤ ' : ''}${formatNs(r.duration)}`),
    numeric: true,
  },
  { key: 'count', width: '10%', label: 'Calls', value: (r) => r.count, text: (r) => r.count.toLocaleString(), numeric: true },
];

export const MESSAGE_COLUMNS: Column<AreaMessage>[] = [
  { key: 'from', width: '20%', label: 'From', value: (r) => proc(r.fromName, r.fromPid), text: (r) => proc(r.fromName, r.fromPid) },
  { key: 'to', width: '20%', label: 'To', value: (r) => proc(r.toName, r.toPid), text: (r) => proc(r.toName, r.toPid) },
  { key: 'msg', width: '30%', label: 'Message', value: (r) => r.msg, text: (r) => r.msg ?? '' },
  { key: 'sent', width: '15%', label: 'Sent', value: (r) => r.sent, text: (r) => time(r.sent), numeric: true },
  { key: 'received', width: '15%', label: 'Received', value: (r) => r.received, text: (r) => time(r.received), numeric: true },
];

/** `rows` sorted by `col` (stable: equal values keep the engine's time order); nulls last both ways. */
export function sortRows<R>(rows: readonly R[], col: Column<R>, dir: SortDir): R[] {
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .map((r, i) => ({ r, i, v: col.value(r) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((x) => x.r);
}

/** The event a row stands for: a slice its call; a message its receive (its send when the receive was not traced). */
export function eventOfSlice(r: AreaSlice): { seq: number; t: number; node: string; pid: string } {
  return { seq: r.seq, t: r.start, node: r.node, pid: r.pid };
}

export function eventOfMessage(r: AreaMessage): { seq: number; t: number; node: string; pid: string } | null {
  if (r.recvSeq !== null && r.received !== null && r.toNode !== null && r.toPid !== null)
    return { seq: r.recvSeq, t: r.received, node: r.toNode, pid: r.toPid };
  if (r.sendSeq !== null && r.sent !== null && r.fromNode !== null && r.fromPid !== null)
    return { seq: r.sendSeq, t: r.sent, node: r.fromNode, pid: r.fromPid };
  return null;
}
