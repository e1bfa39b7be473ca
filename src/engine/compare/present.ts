import type { CompareTables } from '../views/compare';
import { formatDuration } from '../analyses/duration';

/**
 * The compare tables as people read them: one section per table, each cell
 * text (`6 → 6`, `10 µs → 44.7 ms`). `otpscope compare` prints these and
 * the compare view renders them, so the terminal and the page show the same
 * cells; evidence stays as event numbers (`a`/`b`) the view turns into links.
 */
export interface CompareSection {
  key: keyof CompareTables;
  title: string;
  /** What a row is, for the empty case: "no call group changed". */
  empty: string;
  columns: string[];
  rows: { cells: string[]; a: number | null; b: number | null }[];
}

/** A latency as every view writes durations (src/engine/analyses/duration.ts), or "—" when there is none. */
export function ms(ns: number | null): string {
  return ns === null ? '—' : formatDuration(ns);
}

const pair = (a: string | number | null, b: string | number | null) => `${a ?? '—'} → ${b ?? '—'}`;
const ratio = (r: number | null) => (r === null ? '—' : `×${r >= 10 ? r.toFixed(0) : r.toFixed(2)}`);
const proc = (role: string, ordinal: number | null) => (ordinal !== null && ordinal > 1 ? `${role} #${ordinal}` : role);

export function compareSections(t: CompareTables): CompareSection[] {
  return [
    {
      key: 'calls',
      title: 'Calls per callee and request',
      empty: 'no call group changed',
      columns: ['callee', 'request', 'change', 'calls', 'p95', 'p95 ratio', 'p50', 'max', 'timeouts', 'exits'],
      rows: t.calls.map((r) => ({
        cells: [
          r.callee,
          r.shape,
          r.change ?? '',
          pair(r.n_a, r.n_b),
          pair(ms(r.p95_a), ms(r.p95_b)),
          ratio(r.p95_ratio),
          pair(ms(r.p50_a), ms(r.p50_b)),
          pair(ms(r.max_a), ms(r.max_b)),
          pair(r.timeouts_a, r.timeouts_b),
          pair(r.exits_a, r.exits_b),
        ],
        a: r.a_seq,
        b: r.b_seq,
      })),
    },
    {
      key: 'messages',
      title: 'Messages per sender, receiver and shape',
      empty: 'no message count changed',
      columns: ['sender', 'receiver', 'message', 'change', 'count'],
      rows: t.messages.map((r) => ({ cells: [r.sender, r.receiver, r.shape, r.change ?? '', pair(r.n_a, r.n_b)], a: r.a_seq, b: r.b_seq })),
    },
    {
      key: 'processes',
      title: 'Processes per role (name, module or initial call)',
      empty: 'no process count changed',
      columns: ['role', 'change', 'processes', 'spawned', 'exited', 'crashed'],
      rows: t.processes.map((r) => ({
        cells: [
          r.role,
          r.change ?? '',
          pair(r.procs_a, r.procs_b),
          pair(r.spawned_a, r.spawned_b),
          pair(r.exited_a, r.exited_b),
          pair(r.crashed_a, r.crashed_b),
        ],
        a: r.a_seq,
        b: r.b_seq,
      })),
    },
    {
      key: 'restarts',
      title: 'Restarts per supervisor',
      empty: 'no restart count changed',
      columns: ['supervisor', 'child', 'change', 'restarts'],
      rows: t.restarts.map((r) => ({ cells: [r.supervisor, r.child, r.change ?? '', pair(r.restarts_a, r.restarts_b)], a: r.a_seq, b: r.b_seq })),
    },
    {
      key: 'unmatched',
      title: 'New and vanished processes',
      empty: 'every process has a counterpart',
      columns: ['process', 'parent', 'in', 'pid'],
      rows: t.unmatched.map((r) => ({
        cells: [proc(r.role, r.ordinal), r.parent_role ?? '', r.a_pid === null ? 'B only (new)' : 'A only (vanished)', r.a_pid ?? r.b_pid ?? ''],
        a: null,
        b: null,
      })),
    },
    {
      key: 'mailbox',
      title: 'Mailbox peaks and state sizes per matched process',
      empty: 'no mailbox peak or state size changed',
      columns: ['process', 'change', 'mailbox peak', 'state size (first…last)', 'pids'],
      rows: t.mailbox.map((r) => ({
        cells: [
          proc(r.role, r.ordinal),
          r.change ?? '',
          pair(r.peak_a, r.peak_b),
          `${r.size_first_a ?? '—'}…${r.size_last_a ?? '—'} → ${r.size_first_b ?? '—'}…${r.size_last_b ?? '—'}`,
          pair(r.a_pid, r.b_pid),
        ],
        a: r.a_peak_seq ?? r.a_state_seq,
        b: r.b_peak_seq ?? r.b_state_seq,
      })),
    },
    {
      key: 'anomalies',
      title: 'Anomalies in one recording and not the other',
      empty: 'the same anomalies in both',
      columns: ['kind', 'severity', 'process', 'change', 'count', 'first'],
      rows: t.anomalies.map((r) => ({
        cells: [r.kind, r.severity, r.role, r.change ?? '', pair(r.n_a, r.n_b), r.summary_b ?? r.summary_a ?? ''],
        a: r.a_seq,
        b: r.b_seq,
      })),
    },
    {
      key: 'states',
      title: 'State sequences: the first callback at which A and B differ',
      empty: 'every matched process went through the same states',
      columns: ['process', 'change', 'at', 'difference', 'callback', 'message', 'states', 'pids'],
      rows: t.states.map((r) => ({
        cells: [
          proc(r.role, r.ordinal),
          r.change ?? '',
          r.first_diff === null ? '' : `#${r.first_diff}`,
          r.diff ??
            (r.change === 'only in A' ? `B has no state here (A: ${r.state_a})` : r.change === 'only in B' ? `A has no state here (B: ${r.state_b})` : ''),
          pair(r.callback_a, r.callback_b),
          pair(r.message_a, r.message_b),
          pair(r.states_a, r.states_b),
          pair(r.a_pid, r.b_pid),
        ],
        a: r.a_seq,
        b: r.b_seq,
      })),
    },
  ];
}
