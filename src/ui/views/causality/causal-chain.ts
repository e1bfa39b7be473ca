import { has } from '../../lib/capabilities';
import type { Session } from '../../lib/session.svelte';
import { big, num, records, sqlInt, str } from '../../lib/sql';

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

/**
 * The causal chain of an event (`causes`) or its consequences (`effects`),
 * from the engine's macros (src/engine/sql/causality.ts). Before they exist,
 * a recursive CTE over events + messages with the same rule: a receive is
 * caused by its send, anything else by the previous event of its process.
 */
export async function causalChain(
  session: Session,
  seq: number,
  dir: 'causes' | 'effects',
  depth: number,
): Promise<{ events: ChainEvent[]; edges: ChainEdge[] }> {
  const native = await has(session, dir);
  const sql = native
    ? dir === 'causes'
      ? `SELECT step, hop, edge, seq, ts, node, pid, kind, peer, mfa, term, NULL::BIGINT AS cause_seq FROM causes(${sqlInt(seq)}, max_depth := ${depth}) ORDER BY step`
      : `SELECT step, hop, edge, seq, ts, node, pid, kind, peer, mfa, term, cause_seq FROM effects(${sqlInt(seq)}, max_depth := ${depth}) ORDER BY hop, seq LIMIT 400`
    : fallback(seq, dir, depth);
  const rows = records(await session.query(sql, 'causal-chain'));
  const events: ChainEvent[] = [];
  const seen = new Set<number>();
  for (const r of rows) {
    const s = num(r.seq)!;
    if (seen.has(s)) continue;
    seen.add(s);
    events.push({
      seq: s,
      ts: big(r.ts)!,
      node: String(r.node),
      pid: str(r.pid),
      kind: String(r.kind),
      peer: str(r.peer),
      mfa: str(r.mfa),
      term: str(r.term),
      hop: num(r.hop) ?? 0,
    });
  }
  const edges: ChainEdge[] = [];
  if (dir === 'causes') {
    for (let i = 0; i + 1 < rows.length; i++) edges.push({ from: num(rows[i + 1].seq)!, to: num(rows[i].seq)!, via: str(rows[i + 1].edge) ?? 'process' });
  } else {
    for (const r of rows) if (r.cause_seq !== null) edges.push({ from: num(r.cause_seq)!, to: num(r.seq)!, via: str(r.edge) ?? 'process' });
  }
  return { events, edges };
}

function fallback(seq: number, dir: 'causes' | 'effects', depth: number): string {
  const links = `links AS (
      SELECT e.seq, CASE WHEN e.kind = 'receive' AND m.send_seq IS NOT NULL THEN m.send_seq
                         ELSE lag(e.seq) OVER (PARTITION BY e.node, e.pid ORDER BY e.seq) END AS cause_seq,
             CASE WHEN e.kind = 'receive' AND m.send_seq IS NOT NULL THEN 'message' ELSE 'process' END AS edge
      FROM events e LEFT JOIN messages m ON e.kind = 'receive' AND m.recv_seq = e.seq WHERE e.pid IS NOT NULL)`;
  const step =
    dir === 'causes'
      ? `SELECT w.step + 1, w.hop + CASE WHEN l.edge = 'process' THEN 0 ELSE 1 END, l.cause_seq, l.edge, w.seq FROM walk w JOIN links l ON l.seq = w.seq WHERE l.cause_seq IS NOT NULL`
      : `SELECT w.step + 1, w.hop + CASE WHEN l.edge = 'process' THEN 0 ELSE 1 END, l.seq, l.edge, w.seq FROM walk w JOIN links l ON l.cause_seq = w.seq`;
  return `WITH RECURSIVE ${links},
    walk(step, hop, seq, edge, cause_seq) AS (
      SELECT 0, 0, ${sqlInt(seq)}, NULL::VARCHAR, NULL::BIGINT
      UNION ALL ${step} AND w.step < ${depth * 3} AND w.hop <= ${depth})
    SELECT w.step, w.hop, ${dir === 'causes' ? 'lag(w.edge) OVER (ORDER BY w.step DESC)' : 'w.edge'} AS edge, e.seq, e.ts, e.node, e.pid, e.kind, e.peer, e.mfa, e.term,
           ${dir === 'causes' ? 'NULL::BIGINT' : 'w.cause_seq'} AS cause_seq
    FROM walk w JOIN events e ON e.seq = w.seq ORDER BY w.step LIMIT 400`;
}
