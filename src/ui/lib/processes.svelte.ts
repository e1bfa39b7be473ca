import { getContext, setContext } from 'svelte';
import type { ProcessRef, Session } from './session.svelte';

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
    // Right after a load the list came with it (session.firstView): no question waits behind a build statement.
    const first = this.session.firstView;
    const rows = first && first.generation === this.session.generation ? first.processes : await this.session.bridge.views.processList();
    this.list = rows.map((row) => ({
      node: row.node,
      pid: row.pid,
      name: row.name,
      initialCall: row.initial_call,
      module: row.module,
      parentPid: row.parent_pid,
      spawnedAt: row.spawned_at,
      exitedAt: row.exited_at,
      exitReason: row.exit_reason,
      events: row.events,
      application: row.application,
      childId: row.child_id,
      childType: row.child_type,
    }));
    // From the rows, not this.list: right after a load this runs inside the caller's effect, which must not read what it writes.
    this.nodes = [...new Set(rows.map((p) => p.node))];
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
