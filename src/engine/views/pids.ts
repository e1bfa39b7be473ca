/** Sorts canonical pids `<0.ID.SERIAL>` numerically. */
export function comparePids(a: string, b: string): number {
  const pa = a.match(/\d+/g)?.map(Number) ?? [];
  const pb = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `VALUES (0, node, pid), ...` naming processes by index, to join events to lanes in SQL. */
export function lanesValues(lanes: { node: string; pid: string }[], from = 0): string {
  return lanes.map((l, i) => `(${from + i}, ${sqlText(l.node)}, ${sqlText(l.pid)})`).join(', ');
}

function sqlText(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
