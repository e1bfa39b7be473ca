import type { Engine, LoadReport } from '../engine/engine';

/** What an archive holds, in a few lines: nodes, span, events by kind, busiest processes, drops. */
export function summarize(engine: Engine, report: LoadReport): string {
  const q = (sql: string) => engine.query(sql).rows;
  const lines: string[] = [];
  for (const s of report.sources) lines.push(`source ${s.name}: ${s.kind}, node ${s.node || '?'}, ${s.events} events`);
  const [[n, first, last]] = q(`SELECT count(*), min(ts), max(ts) FROM events`);
  const spanMs = first === null ? 0 : Number(BigInt(last as bigint) - BigInt(first as bigint)) / 1e6;
  lines.push(
    `events: ${n}, span: ${spanMs.toFixed(3)} ms${first === null ? '' : ` from ${new Date(Number(BigInt(first as bigint) / 1000000n)).toISOString()}`}`,
  );
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
  return lines.join('\n');
}
