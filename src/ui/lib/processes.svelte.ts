import { getContext, setContext } from 'svelte';
import type { ProcessRef, Session } from './session.svelte';
import { big, num, records, str } from './sql';

export interface ProcInfo extends ProcessRef {
  name: string | null;
  initialCall: string | null;
  module: string | null;
  parentPid: string | null;
  spawnedAt: bigint | null;
  exitedAt: bigint | null;
  exitReason: string | null;
  events: number;
  /** From the recorded supervision tree (otpscope archives): the application, the child id, worker or supervisor. */
  application: string | null;
  childId: string | null;
  childType: string | null;
}

export const procKey = (p: ProcessRef): string => `${p.node}|${p.pid}`;

/**
 * The loaded processes, fetched once per load and shared by every view
 * (through Svelte context) to turn pids into names.
 */
export class ProcessDirectory {
  list = $state.raw<ProcInfo[]>([]);
  nodes = $state.raw<string[]>([]);
  #byKey = $derived(new Map(this.list.map((p) => [procKey(p), p])));

  constructor(private readonly session: Session) {}

  async refresh(): Promise<void> {
    const r = await this.session.query(
      `SELECT p.node, p.pid, p.name, p.initial_call, p.module, p.parent_pid, p.spawned_at, p.exited_at, p.exit_reason, coalesce(e.n, 0) AS events,
              p.application, p.child_id, p.child_type
       FROM processes p LEFT JOIN (SELECT node, pid, count(*) AS n FROM events WHERE pid IS NOT NULL GROUP BY ALL) e USING (node, pid)
       ORDER BY p.node, try_cast(split_part(trim(p.pid, '<>'), '.', 2) AS BIGINT), p.pid`,
    );
    this.list = records(r).map((row) => ({
      node: String(row.node),
      pid: String(row.pid),
      name: str(row.name),
      initialCall: str(row.initial_call),
      module: str(row.module),
      parentPid: str(row.parent_pid),
      spawnedAt: big(row.spawned_at),
      exitedAt: big(row.exited_at),
      exitReason: str(row.exit_reason),
      events: num(row.events) ?? 0,
      application: str(row.application),
      childId: str(row.child_id),
      childType: str(row.child_type),
    }));
    this.nodes = [...new Set(this.list.map((p) => p.node))];
  }

  get(p: ProcessRef): ProcInfo | undefined {
    return this.#byKey.get(procKey(p));
  }

  /** The registered name when there is one, else the pid (with the node when several nodes are loaded). */
  label(p: ProcessRef): string {
    const info = this.get(p);
    const pid = this.nodes.length > 1 ? `${p.pid}@${p.node}` : p.pid;
    return info?.name ? `${info.name} ${pid}` : pid;
  }
}

const KEY = Symbol('processes');
export const provideProcesses = (d: ProcessDirectory) => setContext(KEY, d);
export const useProcesses = (): ProcessDirectory => getContext<ProcessDirectory>(KEY);
