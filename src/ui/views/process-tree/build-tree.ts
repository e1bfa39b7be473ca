import { procKey, type ProcInfo } from '../../lib/processes.svelte';

export interface TreeRow {
  proc: ProcInfo;
  depth: number;
  hasChildren: boolean;
  /** Exited at or before the instant. */
  exited: boolean;
}

/**
 * The supervision/spawn tree as it stood at instant `t`: processes spawned
 * after `t` are left out, exited ones kept (marked) when `withExited`.
 * Parents come from `processes.parent_pid` on the same node; a process whose
 * parent is unknown, or is the node's `init`, is a root. `filter` keeps matches and their ancestors.
 */
export function buildTree(list: ProcInfo[], t: bigint | null, opts: { withExited: boolean; filter: string; collapsed: Set<string> }): TreeRow[] {
  const alive = list.filter((p) => {
    if (t === null) return opts.withExited || p.exitedAt === null;
    if (p.spawnedAt !== null && p.spawnedAt > t) return false;
    return opts.withExited || p.exitedAt === null || p.exitedAt > t;
  });
  const byKey = new Map(alive.map((p) => [procKey(p), p]));
  const children = new Map<string, ProcInfo[]>();
  const roots: ProcInfo[] = [];
  for (const p of alive) {
    const parentKey = p.parentPid ? `${p.node}|${p.parentPid}` : null;
    // The runtime's init process spawned every top-level process of its node: nesting them all one level under it
    // adds nothing, so they stay roots (as observer shows them).
    const parent = parentKey ? byKey.get(parentKey) : undefined;
    if (parent && parentKey && parentKey !== procKey(p) && !isInit(parent)) {
      let c = children.get(parentKey);
      if (!c) children.set(parentKey, (c = []));
      c.push(p);
    } else roots.push(p);
  }
  let keep: Set<string> | null = null;
  const f = opts.filter.trim().toLowerCase();
  if (f) {
    keep = new Set();
    for (const p of alive) {
      const hay = `${p.pid} ${p.name ?? ''} ${p.module ?? ''} ${p.initialCall ?? ''} ${p.node}`.toLowerCase();
      if (!hay.includes(f)) continue;
      // keep the match and its ancestors
      let cur: ProcInfo | undefined = p;
      const guard = new Set<string>();
      while (cur && !guard.has(procKey(cur))) {
        guard.add(procKey(cur));
        keep.add(procKey(cur));
        cur = cur.parentPid ? byKey.get(`${cur.node}|${cur.parentPid}`) : undefined;
      }
    }
  }
  const rows: TreeRow[] = [];
  const visited = new Set<string>();
  const walk = (p: ProcInfo, depth: number) => {
    const k = procKey(p);
    if (visited.has(k) || (keep && !keep.has(k))) return;
    visited.add(k);
    const kids = (children.get(k) ?? []).filter((c) => !keep || keep.has(procKey(c)));
    rows.push({ proc: p, depth, hasChildren: kids.length > 0, exited: p.exitedAt !== null && (t === null || p.exitedAt <= t) });
    if (!opts.collapsed.has(k) || keep) for (const c of kids) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return rows;
}

/** The node's `init` process (`<0.0.0>`, registered as `:init`). */
function isInit(p: ProcInfo): boolean {
  return p.name === ':init' || p.pid === '<0.0.0>';
}

/**
 * An exit the tree draws as a crash: as CRASHED in src/engine/sql/anomalies.ts, an abnormal reason (ABNORMAL: an erpc
 * result, {ref, :return, result}, or a multi_call's, {caller, ref, {replies, bad_nodes}}, is no crash) of a process not
 * killed by the process stopping it (`stopped`: the engine's stoppedProcesses).
 */
export function isAbnormalExit(reason: string | null, stopped = false): boolean {
  return (
    reason !== null &&
    !(stopped && reason === ':killed') &&
    !/^(:normal|:shutdown|\{:shutdown, .*\}|normal|shutdown)$/.test(reason) &&
    !/^\{#Reference<[0-9.]+>, :return, /.test(reason) &&
    !/^\{#PID<[0-9.]+>, #Reference<[0-9.]+>, \{\[/.test(reason)
  );
}
