import { readOne, readRows, sqlInt, sqlString, type Sql } from './rows';

export interface SourceFile {
  /** The archive's entry name (`Elixir.MyApp.Worker.ex`). */
  path: string;
  /** The file the module was compiled from (`lib/my_app/worker.ex`), when the archive says; show this when present. */
  file: string | null;
  text: string;
}

export interface SnapshotSteps {
  prev: { seq: number; ts: bigint } | null;
  next: { seq: number; ts: bigint } | null;
  /** 1-based position of this snapshot among the process's snapshots, and how many it has. */
  index: number;
  total: number;
}

export type SourceView =
  | { reason: 'not-code' | 'no-module'; kind: string; mfa: string | null }
  | {
      reason: null;
      kind: string;
      mfa: string;
      module: string;
      fun: string;
      arity: number;
      /** The call's arguments, or the snapshot's `{line, bindings}`, as term text. */
      term: string | null;
      file: SourceFile | null;
      steps: SnapshotSteps | null;
    };

const CODE_KINDS = ['call', 'return', 'exception', 'snapshot'];

/** The source of the code event `seq` (a call, return or line snapshot) from the archive's `sources`, and for a snapshot its neighbours. */
export async function sourceOfEvent(sql: Sql, seq: number): Promise<SourceView | null> {
  const [ev] = readRows('source event', await sql(`SELECT seq, kind, mfa, term, node, pid FROM events WHERE seq = ${sqlInt(seq)}`), {
    seq: 'int',
    kind: 'text',
    mfa: 'text?',
    term: 'text?',
    node: 'text',
    pid: 'text?',
  });
  if (!ev) return null;
  if (ev.mfa === null || !CODE_KINDS.includes(ev.kind)) return { reason: 'not-code', kind: ev.kind, mfa: ev.mfa };
  const parts = splitMfa(ev.mfa);
  if (!parts) return { reason: 'no-module', kind: ev.kind, mfa: ev.mfa };
  const file = await moduleSource(sql, parts.module);
  const steps = ev.kind === 'snapshot' && ev.pid !== null ? await snapshotSteps(sql, seq, ev.node, ev.pid) : null;
  return { reason: null, kind: ev.kind, mfa: ev.mfa, ...parts, term: ev.term, file, steps };
}

/** A module's source from the `sources` table (docs/SCHEMA.md), by module name, else by the file names the recorder gives it. */
export async function moduleSource(sql: Sql, module: string): Promise<SourceFile | null> {
  const [row] = readRows(
    'module source',
    await sql(
      `SELECT path, file, text FROM sources WHERE module = ${sqlString(module)} OR path IN (${pathsFor(module).map(sqlString).join(', ')})
       ORDER BY module = ${sqlString(module)} DESC LIMIT 1`,
    ),
    { path: 'text', file: 'text?', text: 'text' },
  );
  return row ?? null;
}

/** The process's line snapshots just before and after `seq`: stepping through them is stepping through the code as it ran. */
async function snapshotSteps(sql: Sql, seq: number, node: string, pid: string): Promise<SnapshotSteps> {
  const r = readOne(
    'snapshot steps',
    await sql(
      `WITH s AS (SELECT seq, ts, row_number() OVER (ORDER BY seq) AS i, count(*) OVER () AS n FROM events
                  WHERE kind = 'snapshot' AND node = ${sqlString(node)} AND pid = ${sqlString(pid)})
       SELECT (SELECT max(seq) FROM s WHERE seq < ${sqlInt(seq)}) AS prev_seq,
              (SELECT arg_max(ts, seq) FROM s WHERE seq < ${sqlInt(seq)}) AS prev_ts,
              (SELECT min(seq) FROM s WHERE seq > ${sqlInt(seq)}) AS next_seq,
              (SELECT arg_min(ts, seq) FROM s WHERE seq > ${sqlInt(seq)}) AS next_ts,
              (SELECT i FROM s WHERE seq = ${sqlInt(seq)}) AS i, (SELECT max(n) FROM s) AS n`,
    ),
    { prev_seq: 'int?', prev_ts: 'big?', next_seq: 'int?', next_ts: 'big?', i: 'int?', n: 'int?' },
  );
  return {
    prev: r.prev_seq !== null && r.prev_ts !== null ? { seq: r.prev_seq, ts: r.prev_ts } : null,
    next: r.next_seq !== null && r.next_ts !== null ? { seq: r.next_seq, ts: r.next_ts } : null,
    index: r.i ?? 0,
    total: r.n ?? 0,
  };
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
