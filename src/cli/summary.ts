import { monotonicText } from '../engine/clock';
import type { Engine, LoadReport } from '../engine/engine';

/** What an archive holds, in a few lines: nodes, span, events by kind, busiest processes, drops. */
export function summarize(engine: Engine, report: LoadReport): string {
  const q = (sql: string) => engine.query(sql).rows;
  const lines: string[] = [];
  for (const s of report.sources) lines.push(`source ${s.name}: ${s.kind}, node ${s.node || '?'}, ${s.events} events`);
  const [[n, first, last]] = q(`SELECT count(*), min(ts), max(ts) FROM events`);
  const spanMs = first === null ? 0 : Number(BigInt(last as bigint) - BigInt(first as bigint)) / 1e6;
  const t0 = first === null ? null : BigInt(first as bigint);
  const from = t0 === null ? '' : ` from ${monotonicText(t0) ?? new Date(Number(t0 / 1000000n)).toISOString()}`;
  lines.push(`events: ${n}, span: ${spanMs.toFixed(3)} ms${from}`);
  for (const [node, procs] of q(`SELECT node, count(*) FROM processes GROUP BY node ORDER BY node`)) lines.push(`node ${node}: ${procs} processes`);
  lines.push('events by kind:');
  for (const [kind, c] of q(`SELECT kind, count(*) c FROM events GROUP BY kind ORDER BY c DESC, kind`)) lines.push(`  ${String(kind).padEnd(14)} ${c}`);
  lines.push('busiest processes:');
  for (const [pid, who, c] of q(`
      SELECT e.pid, coalesce(p.name, p.module, p.initial_call, ''), count(*) c
      FROM events e LEFT JOIN processes p USING (node, pid)
      WHERE e.pid IS NOT NULL GROUP BY ALL ORDER BY c DESC, e.pid LIMIT 10`))
    lines.push(`  ${String(pid).padEnd(14)} ${String(who).padEnd(40)} ${c}`);
  const dropRows = q(`SELECT node, value FROM meta WHERE key = 'totals.events_dropped'`);
  for (const [node, v] of dropRows) lines.push(`dropped events on ${node}: ${v}`);
  const truncated = q(`SELECT node, value FROM meta WHERE key = 'totals.terms_truncated' AND value <> '0'`);
  for (const [node, v] of truncated) lines.push(`truncated terms on ${node}: ${v}`);
  const [[anomalyCount]] = q(`SELECT count(*) FROM anomalies`);
  lines.push(`anomalies: ${anomalyCount}${Number(anomalyCount) > 0 ? ' (most severe first)' : ''}`);
  const start = first === null ? 0n : BigInt(first as bigint);
  for (const [severity, kind, pid, ts, seq, text] of q(`
      SELECT severity, kind, coalesce(pid, ''), ts, seq, summary FROM anomalies
      ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, ts LIMIT 10`)) {
    const at = ts === null ? '' : `+${(Number(BigInt(ts as bigint) - start) / 1e6).toFixed(3)} ms`;
    lines.push(
      `  ${String(severity).padEnd(8)} ${String(kind).padEnd(15)} ${String(pid).padEnd(12)} ${at.padStart(13)}  #${seq}  ${String(text).slice(0, 100)}`,
    );
  }
  return lines.join('\n');
}
