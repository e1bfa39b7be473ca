/**
 * The report for an issue: what the loaded traces show, as GitHub-flavoured
 * Markdown a reader can follow with no otpscope at all (the archive attached
 * next to it lets them open the same view). The UI's "Copy as Markdown" and
 * `otpscope report FILE --markdown` both print exactly this text; its
 * sections are fixed so a test can pin it for a given archive.
 *
 * Trace content goes through markdown.ts (code spans and fenced blocks), so a
 * pid or a term never turns into HTML or formatting on GitHub.
 */
import { spanFrom } from '../clock';
import { ABNORMAL as ABNORMAL_EXIT, CRASHED as CRASHED_EXIT } from '../sql/anomalies';
import { formatDuration } from '../analyses/duration';
import { anomalyEvidence } from './anomalies';
import { slowestCalls, systemCallCount, type CallRow } from './calls';
import { block, code, table } from './markdown';
import { overview } from './overview';
import { readOne, readRows, type Sql } from './rows';

export interface ReportOptions {
  /** The loaded archive's name(s), as the URL hash names them (`crash.zip`, `a.zip+b.zip`). */
  archive: string;
  /** Where the writer was: a full URL of the analyzer with its hash, or just the hash (`#a=crash.zip`). */
  link: string;
  /** How many anomalies, slow calls and crashes to show (default 5 each). */
  top?: number;
}

/** The analyzer's URL hash for "this archive loaded, nothing selected" (src/ui/lib/hash-state.ts writes the same `a=`). */
export function encodeArchiveHash(archive: string): string {
  return `#${new URLSearchParams({ a: archive }).toString()}`;
}

const CRASHED = CRASHED_EXIT('term', 'node', 'pid');

const CRASH = {
  seq: 'int',
  ts: 'big',
  node: 'text',
  pid: 'text',
  label: 'text?',
  module: 'text?',
  reason: 'text?',
  call_seq: 'int?',
  call_ts: 'big?',
  call_mfa: 'text?',
  call_args: 'text?',
  state_seq: 'int?',
  state_ts: 'big?',
  state_callback: 'text?',
  state: 'text?',
} as const;

/**
 * Crashes (the `crash` anomaly's error-level rule: a process killed by the one stopping it is no crash here, its
 * info or warning anomaly among the anomalies), each with the process's last
 * callback before it (the last call event of its callback module, else its
 * last call; `terminate`, which runs after the crash, is not it) and the state that callback was given (the state left by the
 * callback before it).
 */
async function crashes(sql: Sql, limit: number) {
  const rows = readRows(
    'report crashes',
    await sql(
      `WITH ex AS (SELECT seq, ts, node, pid, term FROM events WHERE kind = 'exit' AND ${CRASHED}),
            cb AS (SELECT e.seq, e.ts, e.node, e.pid, e.mfa, e.term FROM events e LEFT JOIN processes p USING (node, pid)
                   WHERE e.kind = 'call' AND (p.module IS NULL OR starts_with(e.mfa, p.module || '.'))
                     AND NOT regexp_matches(e.mfa, '\\.terminate/\\d+$')),
            withcall AS (SELECT e.*, c.seq AS call_seq, c.ts AS call_ts, c.mfa AS call_mfa, c.term AS call_args, coalesce(c.seq, e.seq) AS before_seq
                         FROM ex e ASOF LEFT JOIN cb c ON c.node = e.node AND c.pid = e.pid AND e.seq > c.seq)
       SELECT w.seq, w.ts, w.node, w.pid, coalesce(p.name, p.module, p.initial_call) AS label, p.module, w.term AS reason,
              w.call_seq, w.call_ts, w.call_mfa, w.call_args,
              s.seq AS state_seq, s.ts AS state_ts, s.callback AS state_callback, s.state
       FROM withcall w
       ASOF LEFT JOIN states s ON s.node = w.node AND s.pid = w.pid AND w.before_seq > s.seq
       LEFT JOIN processes p ON p.node = w.node AND p.pid = w.pid
       ORDER BY w.seq LIMIT ${Math.trunc(limit)}`,
    ),
    CRASH,
  );
  const { n } = readOne('report crashes', await sql(`SELECT count(*) AS n FROM events WHERE kind = 'exit' AND ${CRASHED}`), { n: 'int' });
  const { k } = readOne('report crashes', await sql(`SELECT count(*) AS k FROM events WHERE kind = 'exit' AND ${ABNORMAL_EXIT('term')} AND NOT ${CRASHED}`), {
    k: 'int',
  });
  return { rows, total: n, stopped: k };
}

/** `+11.228 ms` from the first event: an instant, to the microsecond (durations are written as people write them, `formatDuration`). */
/** An instant as an offset from the trace's start (`+11.228 ms`), as the report and `otpscope summary` print it. */
export const at = (ts: bigint | null, t0: bigint | null): string => (ts === null || t0 === null ? '' : `+${(Number(ts - t0) / 1e6).toFixed(3)} ms`);
const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
const shown = (n: number, total: number) => (total > n ? `the first ${n} of ${total}` : String(total));

/** The report as Markdown (see the module doc). */
export async function markdownReport(sql: Sql, opts: ReportOptions): Promise<string> {
  const top = Math.max(1, Math.trunc(opts.top ?? 5));
  const o = await overview(sql, { anomalies: top, busiest: 0 });
  const { t0, t1 } = o.totals;
  const out: string[] = [];

  out.push(`## otpscope report: ${code(opts.archive)}`);
  out.push('');
  out.push(
    opts.link.startsWith('#')
      ? `**View:** ${code(opts.link, 2000)} (open otpscope, load the archive, and add this to its address)`
      : `**View:** <${opts.link}> (opens this view once the archive is loaded)`,
  );

  out.push('', '### Recording', '');
  const from = t0 === null || t1 === null ? ' from no events' : spanFrom(t0, t1);
  out.push(`- **Span:** ${formatDuration(t0 === null || t1 === null ? 0 : t1 - t0)}${from}; times below are from the first event`);
  out.push(
    `- **Totals:** ${count(o.totals.events, 'event')}, ${count(o.totals.processes, 'process', 'processes')}, ${count(o.totals.messages, 'message')}, ${count(o.totals.calls, 'call')}, ${count(o.totals.states, 'state')}`,
  );
  out.push('');
  const facts = new Map(o.sources.map((s) => [s.node, s]));
  const opt = (v: string | number | null) => (v === null ? 'unknown' : String(v));
  // A node no manifest counted for (a raw trace's): what its drop events count, when it has any.
  const lost = (node: string) => {
    const on = o.dropped.filter((d) => d.node === node);
    return on.length === 0 ? null : on.reduce((n, d) => n + d.count, 0);
  };
  out.push(
    table(
      ['node', 'events', 'processes', 'OTP', 'Elixir', 'dropped events', 'truncated terms', 'stopped'],
      o.nodes.map((n) => {
        const f = facts.get(n.node);
        return [
          code(n.node),
          n.events.toLocaleString('en'),
          n.processes.toLocaleString('en'),
          opt(f?.otpRelease ?? null),
          opt(f?.elixirVersion ?? null),
          opt(f?.eventsDropped ?? lost(n.node)),
          opt(f?.termsTruncated ?? null),
          f?.stopReason ? code(f.stopReason) : 'unknown',
        ];
      }),
      [1, 2, 5, 6],
    ),
  );

  const anomalies = o.anomalies;
  out.push('', `### Anomalies (${shown(anomalies.rows.length, anomalies.total)}${anomalies.total > 1 ? ', most severe first' : ''})`, '');
  if (anomalies.total === 0) out.push('None found.');
  for (const [i, a] of anomalies.rows.entries()) {
    out.push(
      `${i + 1}. **${a.severity} ${a.kind}** in ${a.pid === null ? 'no process' : code(a.pid)} at ${at(a.ts, t0) || 'no time'}: ${code(a.summary, 200)}`,
    );
    const evidence = await anomalyEvidence(sql, a.anomaly_id, 10);
    const rows = evidence.map((e) => [
      `#${e.seq}`,
      at(e.ts, t0),
      e.pid === null ? '' : code(e.pid),
      e.kind,
      e.mfa === null ? '' : code(e.mfa),
      e.term === null ? '' : code(e.term, 100),
    ]);
    out.push('');
    out.push(
      table(['event', 'at', 'process', 'kind', 'function', 'term'], rows, [0, 1])
        .split('\n')
        .map((l) => `   ${l}`)
        .join('\n'),
    );
    if (a.evidence_count > evidence.length) out.push(`   (${a.evidence_count - evidence.length} more events of evidence)`);
    out.push('');
  }
  if (anomalies.total > 0) out.pop();

  // The application's calls: a server's stop and the other :sys calls (tools, shutdowns) are counted below them.
  const calls = await slowestCalls(sql, null, top, false);
  out.push('', `### Slowest calls${calls.length > 0 ? ` (the ${calls.length} slowest)` : ''}`, '');
  const system = await systemCallCount(sql);
  if (calls.length === 0) out.push(system > 0 ? 'No call but `:sys` calls had a latency.' : 'No call with a latency was traced.');
  else out.push(callTable(calls, t0));
  if (system > 0) {
    const [s] = await slowestCalls(sql, null, 1, true);
    out.push(
      '',
      `Not ranked: ${system === 1 ? 'a `:sys` call' : count(system, '`:sys` call')} (a server's stop, \`:sys.get_state/1\`...), ${system === 1 ? '' : 'the slowest '}${code(s.request ?? '', 80)} to ${code(s.callee ?? '?')} in ${formatDuration(s.latency_ns ?? 0)} (event #${s.call_seq}).`,
    );
  }

  const cr = await crashes(sql, top);
  out.push('', `### Crashes (${shown(cr.rows.length, cr.total)})`);
  if (cr.total === 0) out.push('', 'No process exited abnormally.');
  if (cr.stopped > 0)
    out.push(
      '',
      `Not counted: ${count(cr.stopped, 'process', 'processes')} killed by the process stopping ${cr.stopped === 1 ? 'it' : 'them'} (an info or warning \`crash\` anomaly).`,
    );
  for (const c of cr.rows) {
    out.push('', `#### ${code(c.pid)}${c.label === null ? '' : ` ${code(c.label)}`} on ${code(c.node)}, exit at ${at(c.ts, t0)} (event #${c.seq})`, '');
    out.push('Exit reason:', '', block(c.reason ?? ''));
    if (c.call_seq !== null)
      // A process with a callback module ran it as a callback; any other process, a traced function.
      out.push(
        '',
        `${c.module === null ? 'Last traced call' : 'Last callback'}: ${code(c.call_mfa ?? '')} at ${at(c.call_ts, t0)} (event #${c.call_seq}), arguments:`,
        '',
        block(c.call_args ?? ''),
      );
    else out.push('', 'No call of this process was traced before it exited.');
    if (c.state_seq !== null)
      out.push(
        '',
        `State before ${c.call_seq === null ? 'the exit' : 'that call'} (left by ${code(c.state_callback ?? '')} at ${at(c.state_ts, t0)}, event #${c.state_seq}):`,
        '',
        block(c.state ?? ''),
      );
    else out.push('', 'No state of this process was recorded before it.');
  }
  out.push('');
  return out.join('\n');
}

function callTable(calls: CallRow[], t0: bigint | null): string {
  return table(
    ['latency', 'outcome', 'callee', 'request', 'caller', 'sent at', 'event'],
    calls.map((c) => [
      c.latency_ns === null ? '' : formatDuration(c.latency_ns),
      c.outcome ?? '',
      c.callee === null ? '' : code(c.callee),
      c.request === null ? '' : code(c.request, 80),
      code(c.caller_pid),
      at(c.sent_at, t0),
      `#${c.call_seq}`,
    ]),
    [0, 5, 6],
  );
}
