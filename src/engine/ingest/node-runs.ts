/**
 * Runs of one node name kept apart. A day of recordings holds several archives of the same node name made by
 * different OS processes (two `mix test` sessions of `nonode@nohost`, `app@host` before and after a restart). Pids
 * are only unique within one run of the runtime, so `<0.123.0>` of one run is not the `<0.123.0>` of the next: the
 * tables key processes by (node, pid), and the runs would merge. Archives of one name and one OS pid are one run (one
 * node recorded several times while it ran) and stay merged. The earliest run of a name keeps the name; each later
 * run (by `started_at_ns`; in load order across loads) reads `name#2`, `name#3` everywhere a node is written: the
 * events' `node` and `peer_node`, process facts, meta, sources. A single archive, or a node's archives of one run,
 * read as before. Raw dbg/ttb traces carry no run: they keep their nodes.
 *
 * Another node's pid names only the node (a pid's creation is not recorded), so a peer of a name with several runs is
 * the run that had started by the event's time (the latest start at or before it; the earliest run before any).
 */

/** What an archive's manifest says of its run. */
export interface ArchiveRun {
  file: string;
  node: string;
  osPid: string;
  startedAt: bigint;
}

interface Run {
  osPid: string;
  startedAt: number;
  name: string;
  files: string[];
}

export class NodeRuns {
  /** Per node name as recorded: its runs in the order they were numbered (the first keeps the name). */
  private readonly byNode = new Map<string, Run[]>();
  /** Node names with more than one run, each with its runs by start time (for `at`). */
  private readonly timed = new Map<string, Run[]>();

  /**
   * Registers a load's archives; a run not seen before is numbered after the runs of its name already loaded,
   * earliest start first. Returns one line per node name that holds several runs after a new one came: each run's
   * files, OS pid and the name its processes read.
   */
  add(archives: ArchiveRun[]): string[] {
    const warnings: string[] = [];
    const grown = new Set<string>();
    for (const a of [...archives].sort((x, y) => (x.startedAt < y.startedAt ? -1 : x.startedAt > y.startedAt ? 1 : 0))) {
      let runs = this.byNode.get(a.node);
      if (runs === undefined) this.byNode.set(a.node, (runs = []));
      const same = runs.find((r) => r.osPid === a.osPid);
      if (same !== undefined) {
        if (!same.files.includes(a.file)) same.files.push(a.file);
        continue;
      }
      runs.push({ osPid: a.osPid, startedAt: Number(a.startedAt), name: runs.length === 0 ? a.node : `${a.node}#${runs.length + 1}`, files: [a.file] });
      if (runs.length > 1) grown.add(a.node);
    }
    for (const node of [...grown].sort()) {
      const runs = this.byNode.get(node)!;
      this.timed.set(
        node,
        [...runs].sort((x, y) => x.startedAt - y.startedAt),
      );
      warnings.push(
        `${node} was recorded by ${runs.length} different runs of it (OS processes), whose processes are kept apart: ` +
          runs.map((r) => `${list(r.files)} (OS pid ${r.osPid}) as ${r.name}`).join('; '),
      );
    }
    return warnings;
  }

  /** The name an archive's node reads in the tables (the node itself when its run is unknown). */
  nameOf(node: string, osPid: string): string {
    return this.byNode.get(node)?.find((r) => r.osPid === osPid)?.name ?? node;
  }

  /** How one source's nodes are written: its own node (recorded as `own`) as `ownName`, others by time. */
  sourceNodes(own: string, ownName: string): SourceNodes {
    return new SourceNodes(own, ownName, this);
  }

  /** Whether a node other than `own` has several runs (then a peer's node depends on the event's time). */
  timedBeside(own: string): boolean {
    for (const n of this.timed.keys()) if (n !== own) return true;
    return false;
  }

  /** The run of `node` at `ts` (ns since the epoch): the latest started at or before it, else the earliest. */
  at(node: string, ts: number): string {
    const runs = this.timed.get(node);
    if (runs === undefined) return node;
    let name = runs[0].name;
    for (const r of runs) if (r.startedAt <= ts) name = r.name;
    return name;
  }
}

/** The node names one source's rows carry (EventSink): its own run's for its own node, the run at the time for others. */
export class SourceNodes {
  /** Whether a peer's node depends on the event's time (another node of the load has several runs). */
  readonly timed: boolean;

  constructor(
    private readonly own: string,
    private readonly ownName: string,
    private readonly runs: NodeRuns | null,
  ) {
    this.timed = runs !== null && runs.timedBeside(own);
  }

  /** A node of the source's own processes (its events, facts, trees, drops). */
  local(node: string): string {
    return node === this.own ? this.ownName : node;
  }

  /** A node a pid in an event names; `ts` (ns since the epoch) matters only when `timed`. */
  peer(node: string, ts: number): string {
    if (node === this.own) return this.ownName;
    return this.timed ? this.runs!.at(node, ts) : node;
  }
}

/** Nodes as recorded: a source whose node has one run and no peer with several. */
export const AS_RECORDED = new SourceNodes('', '', null);

function list(items: string[]): string {
  return items.length <= 2 ? items.join(' and ') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
