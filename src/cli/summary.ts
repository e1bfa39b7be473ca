import { spanFrom } from '../engine/clock';
import type { Engine, LoadReport } from '../engine/engine';
import { droppedOn, overview } from '../engine/views/overview';
import { at } from '../engine/views/report';
import { formatDuration } from '../engine/analyses/duration';
import { VIEW_NEEDS } from '../engine/views/needs';

/** What \`summarize\` reads: the Overview's tables (a summary leaves the causal links, built on use, unbuilt). */
export const SUMMARY_TABLES = VIEW_NEEDS.overview!;

/** totals.json's stop reasons (docs/FORMAT.md) that are not a plain Otpscope.stop(), in words. */
const STOPPED_BY: Record<string, string> = {
  max_events: 'max_events: nothing after its last event was recorded',
  duration: 'its duration',
  owner_down: 'its owner exiting',
  error: 'an error (see the node log)',
  dump: 'a dump (Otpscope.dump/0)',
  exit_of: 'a dump_on exit_of trigger',
  telemetry: 'a dump_on telemetry trigger',
};

/** What an archive holds, in a few lines: the Overview view's answer (src/engine/views/overview.ts) as text. */
export async function summarize(engine: Engine, report: LoadReport): Promise<string> {
  const o = await overview((sql, max) => engine.query(sql, max));
  const lines: string[] = [];
  for (const s of report.sources) lines.push(`source ${s.name}: ${s.kind}, node ${s.node || '?'}, ${s.events} events`);
  const { t0, t1 } = o.totals;
  const span = t0 === null || t1 === null ? 0n : t1 - t0;
  const from = t0 === null || t1 === null ? '' : spanFrom(t0, t1);
  lines.push(`events: ${o.totals.events}, span: ${formatDuration(span)}${from}`);
  lines.push(`processes: ${o.totals.processes}, messages: ${o.totals.messages}, calls: ${o.totals.calls}, states: ${o.totals.states}`);
  for (const n of o.nodes) lines.push(`node ${n.node}: ${n.processes} processes, ${n.events} events`);
  lines.push('events by kind:');
  for (const k of o.kinds) lines.push(`  ${k.kind.padEnd(14)} ${k.n}`);
  lines.push('busiest processes:');
  // Two nodes can both have a <0.55.0>: with several, each process is named with its node.
  const who = (b: (typeof o.busiest)[number]) => (o.nodes.length > 1 ? `${b.node} ${b.pid}` : b.pid);
  const width = Math.max(14, ...o.busiest.map((b) => who(b).length));
  // a Registry name (`{:via, Registry, {MyApp.Reg, key}}`) may be longer than a module: the counts stay in one column
  const nameWidth = Math.max(40, ...o.busiest.map((b) => (b.who ?? '').length));
  for (const b of o.busiest) lines.push(`  ${who(b).padEnd(width)} ${(b.who ?? '').padEnd(nameWidth)} ${b.events}`);
  for (const source of report.sources) {
    const s = o.sources.find((f) => f.source === source.name);
    // What the recorder counted; a raw trace's drops (a dbg drop frame, ttb's {drop, N}) are in no manifest: its drop events count them.
    for (const d of droppedOn(o, source.src, s)) lines.push(`dropped events on ${d.node}: ${d.count}`);
    if (s === undefined) continue;
    if (s.termsTruncated) lines.push(`truncated terms on ${s.node}: ${s.termsTruncated}`);
    // Events after a stop of the recorder's own (max_events, duration, its owner gone) were never traced, so no drop counts them.
    if (s.stopReason !== null && s.stopReason !== 'stop') lines.push(`recording on ${s.node} stopped by ${STOPPED_BY[s.stopReason] ?? s.stopReason}`);
  }
  const total = o.anomalies.total;
  lines.push(`anomalies: ${total}${total > 0 ? ' (most severe first)' : ''}`);
  for (const a of o.anomalies.rows) {
    lines.push(
      `  ${a.severity.padEnd(8)} ${a.kind.padEnd(15)} ${(a.pid ?? '').padEnd(12)} ${at(a.ts, t0).padStart(13)}  #${a.seq ?? ''}  ${a.summary.slice(0, 100)}`,
    );
  }
  return lines.join('\n');
}
