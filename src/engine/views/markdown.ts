/**
 * GitHub-flavoured Markdown from untrusted trace text. Everything that came
 * from the traced system (pids, names, terms, exit reasons) is written inside
 * a code span or a fenced block, so GitHub shows it as text: `<0.158.0>` is
 * not taken for an HTML tag, `*` and `_` are not emphasis, a `|` does not end
 * a table cell. Long terms are cut with a note saying how much was left out.
 */

/** The longest run of backticks in `s`. */
function longestBacktickRun(s: string): number {
  let best = 0;
  for (const m of s.matchAll(/`+/g)) best = Math.max(best, m[0].length);
  return best;
}

/** `s` cut to `max` characters (code points), with a note of how many were left out. */
export function cut(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return `${chars.slice(0, max).join('')}… (${chars.length - max} more characters)`;
}

/** An inline code span holding `s` on one line, fenced with more backticks than `s` contains. */
export function code(s: string, max = 120): string {
  const text = cut(s.replace(/\r\n|\r|\n/g, ' '), max);
  const fence = '`'.repeat(longestBacktickRun(text) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A table cell: a code span (or plain text we wrote ourselves), with `|` escaped so it stays in its cell. */
export function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** A table with a header row; `align` marks right-aligned (numeric) columns. */
export function table(head: string[], rows: string[][], rightAligned: number[] = []): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${head.map((_, i) => (rightAligned.includes(i) ? '---:' : '---')).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

/** A fenced code block holding `s` (several lines allowed), its fence longer than any backtick run inside. */
export function block(s: string, max = 2000, lang = ''): string {
  const text = cut(s, max);
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}
