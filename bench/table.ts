/** The results table: Markdown, so the printed output pastes into README's "Performance" section as is. */
export interface Row {
  section: string;
  figure: string;
  value: string;
  goal: string;
  /** met, MISSED, n/a, error, or empty for context figures without a goal. */
  status: string;
}

export function renderTable(rows: Row[]): string {
  const head = ['section', 'figure', 'value', 'goal', 'status'];
  const body = rows.map((r) => [r.section, r.figure, r.value, r.goal, r.status].map((c) => c.replace(/\|/g, '\\|')));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
