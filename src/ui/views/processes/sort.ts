import type { ProcessTableRow } from '../../../engine/views/process-table';
import { comparePids } from '../../../engine/views/pids';

/** The process table's columns: what each shows and how it sorts (numbers and lifetimes busiest first on the first click). */
export type ColumnKey =
  'process' | 'initial_call' | 'application' | 'events' | 'messages_in' | 'messages_out' | 'mailbox_peak' | 'state_changes' | 'lifetime_ns' | 'exit_reason';

export interface Column {
  key: ColumnKey;
  label: string;
  numeric: boolean;
  title: string;
}

export const COLUMNS: Column[] = [
  { key: 'process', label: 'Process', numeric: false, title: 'registered name, else pid' },
  { key: 'initial_call', label: 'Initial call', numeric: false, title: 'the function the process started in' },
  { key: 'application', label: 'Application', numeric: false, title: 'the application whose supervision tree holds it' },
  { key: 'events', label: 'Events', numeric: true, title: 'events recorded for the process' },
  { key: 'messages_in', label: 'Msgs in', numeric: true, title: 'messages sent to it' },
  { key: 'messages_out', label: 'Msgs out', numeric: true, title: 'messages it sent' },
  { key: 'mailbox_peak', label: 'Mailbox peak', numeric: true, title: 'the longest its queue got' },
  { key: 'state_changes', label: 'State changes', numeric: true, title: 'callback states that differed from the one before' },
  { key: 'lifetime_ns', label: 'Lifetime', numeric: true, title: 'time alive within the recording' },
  { key: 'exit_reason', label: 'Exit reason', numeric: false, title: 'why it exited (empty: still alive at the end)' },
];

export interface SortBy {
  key: ColumnKey;
  desc: boolean;
}

function text(r: ProcessTableRow, key: ColumnKey): string | null {
  if (key === 'process') return r.name ?? r.pid;
  return r[key as 'initial_call' | 'application' | 'exit_reason'];
}

/** Sorted copy of `rows`; empty text sorts last either way, ties by pid. */
export function sortRows(rows: ProcessTableRow[], by: SortBy): ProcessTableRow[] {
  const col = COLUMNS.find((c) => c.key === by.key)!;
  const dir = by.desc ? -1 : 1;
  return [...rows].sort((a, b) => {
    let d: number;
    if (col.numeric) {
      const x = a[by.key as 'events'];
      const y = b[by.key as 'events'];
      d = x < y ? -1 : x > y ? 1 : 0;
    } else {
      const x = text(a, by.key);
      const y = text(b, by.key);
      if (x === null || y === null) return x === y ? comparePids(a.pid, b.pid) : x === null ? 1 : -1;
      d = x.localeCompare(y);
    }
    return d * dir || comparePids(a.pid, b.pid);
  });
}

/** Rows whose name, pid, node, initial call, module, application or exit reason contain `q` (case-insensitive). */
export function filterRows(rows: ProcessTableRow[], q: string): ProcessTableRow[] {
  const f = q.trim().toLowerCase();
  if (!f) return rows;
  return rows.filter((r) => [r.name, r.pid, r.node, r.initial_call, r.module, r.application, r.exit_reason].some((v) => v?.toLowerCase().includes(f)));
}
