import { readRows, sqlInt, type Sql } from './rows';

export interface ChainEvent {
  seq: number;
  ts: bigint;
  node: string;
  pid: string | null;
  kind: string;
  peer: string | null;
  mfa: string | null;
  term: string | null;
  hop: number;
}

export interface ChainEdge {
  from: number;
  to: number;
  /** process (handling of the latest message in that process), message (send → receive), spawn. */
  via: string;
}

const STEP = {
  step: 'int',
  hop: 'int',
  edge: 'text?',
  seq: 'int',
  ts: 'big',
  node: 'text',
  pid: 'text?',
  kind: 'text',
  peer: 'text?',
  mfa: 'text?',
  term: 'text?',
  cause_seq: 'int?',
} as const;

/** The causal chain of an event (`causes`) or its consequences (`effects`), from the engine's macros (src/engine/sql/causality.ts). */
export async function causalChain(sql: Sql, seq: number, dir: 'causes' | 'effects', depth: number): Promise<{ events: ChainEvent[]; edges: ChainEdge[] }> {
  const d = Math.max(1, Math.trunc(depth));
  const rows = readRows(
    'causal chain',
    await sql(
      dir === 'causes'
        ? `SELECT step, hop, edge, seq, ts, node, pid, kind, peer, mfa, term, NULL::BIGINT AS cause_seq FROM causes(${sqlInt(seq)}, max_depth := ${d}) ORDER BY step`
        : `SELECT step, hop, edge, seq, ts, node, pid, kind, peer, mfa, term, cause_seq FROM effects(${sqlInt(seq)}, max_depth := ${d}) ORDER BY hop, seq LIMIT 400`,
    ),
    STEP,
  );
  const events: ChainEvent[] = [];
  const seen = new Set<number>();
  for (const r of rows) {
    if (seen.has(r.seq)) continue;
    seen.add(r.seq);
    events.push({ seq: r.seq, ts: r.ts, node: r.node, pid: r.pid, kind: r.kind, peer: r.peer, mfa: r.mfa, term: r.term, hop: r.hop });
  }
  const edges: ChainEdge[] = [];
  if (dir === 'causes') {
    for (let i = 0; i + 1 < rows.length; i++) edges.push({ from: rows[i + 1].seq, to: rows[i].seq, via: rows[i + 1].edge ?? 'process' });
  } else {
    for (const r of rows) if (r.cause_seq !== null) edges.push({ from: r.cause_seq, to: r.seq, via: r.edge ?? 'process' });
  }
  return { events, edges };
}
