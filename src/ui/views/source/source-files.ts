import { has } from '../../lib/capabilities';
import type { Session } from '../../lib/session.svelte';
import { records, sqlString } from '../../lib/sql';

export interface SourceFile {
  path: string;
  text: string;
}

/**
 * The source of a module, from the archive's `sources/<Module>.ex|.erl`
 * entries: the `sources(source, node, path, module, text)` table
 * (docs/SCHEMA.md); 'unsupported' when the engine has no such table.
 */
export async function sourceOf(session: Session, module: string): Promise<SourceFile | null | 'unsupported'> {
  const candidates = pathsFor(module);
  for (const table of ['sources', 'source_files']) {
    if (!(await has(session, table))) continue;
    const byModule = table === 'sources' ? `module = ${sqlString(module)} OR ` : '';
    const r = await session.query(`SELECT path, text FROM ${table} WHERE ${byModule}path IN (${candidates.map(sqlString).join(', ')}) LIMIT 1`, 'source');
    const row = records(r)[0];
    return row ? { path: String(row.path), text: String(row.text) } : null;
  }
  const bridge = session.bridge as unknown as { sources?: () => Promise<SourceFile[]> };
  if (typeof bridge.sources === 'function') {
    const all = await bridge.sources();
    return all.find((s) => candidates.includes(s.path)) ?? null;
  }
  return 'unsupported';
}

/** `OtpscopeDemo.WorkerA` → `Elixir.OtpscopeDemo.WorkerA.ex`; `:my_mod` → `my_mod.erl` (with and without the `sources/` prefix). */
export function pathsFor(module: string): string[] {
  const base = module.startsWith(':') ? module.slice(1).replace(/^"(.*)"$/, '$1') + '.erl' : `Elixir.${module}.ex`;
  return [base, `sources/${base}`, base.replace(/\.ex$/, '.exs')];
}

/** `Mod.Sub.fun/2` → { module, fun, arity }. */
export function splitMfa(mfa: string): { module: string; fun: string; arity: number } | null {
  const m = /^(.*)\.([^./]+|"[^"]+")\/(\d+)$/.exec(mfa);
  return m ? { module: m[1], fun: m[2].replace(/^"(.*)"$/, '$1'), arity: Number(m[3]) } : null;
}

/** The line (1-based) where `fun` is defined, Elixir or Erlang; 0 when not found. */
export function definitionLine(text: string, fun: string, erlang: boolean): number {
  const lines = text.split('\n');
  const esc = fun.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = erlang ? new RegExp(`^'?${esc}'?\\(`) : new RegExp(`^\\s*(def|defp|defmacro|defmacrop)\\s+${esc}[\\s(,]`);
  const i = lines.findIndex((l) => re.test(l));
  return i + 1;
}
