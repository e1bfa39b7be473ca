import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Engine, LoadReport } from '../engine/engine';
import { encodeArchiveHash, markdownReport } from '../engine/views/report';
import { VIEW_NEEDS } from '../engine/views/needs';
import { CliError } from './load-files';

/**
 * `otpscope report FILE... --markdown [--link URL]`: the analyzer's "Copy as
 * Markdown" text (src/engine/views/report.ts) on stdout. Without --link the
 * view link is the hash that opens the files' view in the analyzer.
 */
export async function report(
  args: string[],
  loadEngine: (files: string[], options: { tables?: readonly string[] }) => Promise<{ engine: Engine; report: LoadReport }>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { markdown: { type: 'boolean' }, link: { type: 'string' }, top: { type: 'string' } },
  });
  if (!values.markdown) throw new CliError('report needs --markdown (the only format so far)');
  const top = values.top === undefined ? undefined : Number(values.top);
  if (top !== undefined && !(Number.isInteger(top) && top > 0)) throw new CliError(`--top needs a positive whole number, got ${JSON.stringify(values.top)}`);
  // Only what the report reads is built (not the causal links).
  const { engine, report: loaded } = await loadEngine(positionals, { tables: VIEW_NEEDS.markdownReport! });
  // The analyzer names what is loaded by the files' base names (what a browser's file picker gives it), joined with +.
  const archive = loaded.sources.map((s) => path.basename(s.name)).join('+');
  const text = await markdownReport((sql, max) => engine.query(sql, max), { archive, link: values.link ?? encodeArchiveHash(archive), top });
  process.stdout.write(text);
  return loaded.errors.length > 0 ? 1 : 0;
}
