import { anomalyList, type Anomaly } from './anomalies';
import { readOne, readRows, type RowOf, type Sql } from './rows';

const FIRST_TOTALS = { events: 'int', processes: 'int', t0: 'big?', t1: 'big?' } as const;
const COUNTS = { messages: 'int', calls: 'int', states: 'int' } as const;
const TOTALS = { ...FIRST_TOTALS, ...COUNTS } as const;
const NODE = { node: 'text', events: 'int', processes: 'int', t0: 'big', t1: 'big' } as const;
const KIND = { kind: 'text', n: 'int' } as const;
const BUSY = { node: 'text', pid: 'text', who: 'text?', events: 'int' } as const;
const META = { source: 'text', node: 'text?', key: 'text', value: 'text?' } as const;
const DROPPED = { src: 'int', node: 'text', count: 'int' } as const;

/** What one loaded source's manifest says about how it was recorded. */
export interface SourceFacts {
  source: string;
  node: string;
  eventsDropped: number | null;
  termsTruncated: number | null;
  stopReason: string | null;
  otpRelease: string | null;
  elixirVersion: string | null;
  recorderVersion: string | null;
}

/** Events the trace itself says were dropped on one node of one loaded file: the sum of its \`drops\` windows' counts. */
export type Dropped = RowOf<typeof DROPPED>;

export interface Overview {
  totals: RowOf<typeof TOTALS>;
  nodes: RowOf<typeof NODE>[];
  kinds: RowOf<typeof KIND>[];
  busiest: RowOf<typeof BUSY>[];
  sources: SourceFacts[];
  /** Per loaded file (\`src\`) and node, the events its drop windows count; no row where it has none. */
  dropped: Dropped[];
  anomalies: { rows: Anomaly[]; total: number };
}

/** The part of the Overview that reads only events and processes (and the manifests): what shows first after a load. */
export type OverviewFirst = Omit<Overview, 'totals' | 'anomalies'> & { totals: RowOf<typeof FIRST_TOTALS> };

/**
 * What the loaded traces hold, in one answer: totals, nodes, events by kind,
 * the busiest processes, each source's recording facts and the most severe
 * anomalies. The Overview view and `otpscope summary` both show this.
 */
export async function overview(sql: Sql, opts: { busiest?: number; anomalies?: number } = {}): Promise<Overview> {
  const first = await overviewFirst(sql, opts);
  const { events, processes, t0, t1 } = first.totals;
  const totals = { events, processes, ...(await overviewCounts(sql)), t0, t1 };
  const anomalies = await anomalyList(sql, opts.anomalies ?? 10);
  return { ...first, totals, anomalies };
}

/** How many messages, calls and states the analysis tables hold (the Overview's cards that wait for them). */
export async function overviewCounts(sql: Sql): Promise<RowOf<typeof COUNTS>> {
  return readOne(
    'overview counts',
    await sql(`SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM calls) AS calls, (SELECT count(*) FROM states) AS states`),
    COUNTS,
  );
}

/** The Overview without the counts and anomalies that wait for the analysis tables: totals, nodes, kinds, busiest, sources. */
export async function overviewFirst(sql: Sql, opts: { busiest?: number } = {}): Promise<OverviewFirst> {
  const totals = readOne(
    'overview totals',
    await sql(
      `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM processes) AS processes,
              (SELECT min(ts) FROM events) AS t0, (SELECT max(ts) FROM events) AS t1`,
    ),
    FIRST_TOTALS,
  );
  // processes: every process known on the node, with events or only from the recorder's facts
  const nodes = readRows(
    'overview nodes',
    await sql(
      `SELECT e.node, e.events, coalesce(p.n, 0) AS processes, e.t0, e.t1
       FROM (SELECT node, count(*) AS events, min(ts) AS t0, max(ts) AS t1 FROM events GROUP BY node) e
       LEFT JOIN (SELECT node, count(*) AS n FROM processes GROUP BY node) p ON p.node = e.node
       ORDER BY e.node`,
    ),
    NODE,
  );
  const kinds = readRows('overview kinds', await sql(`SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY n DESC, kind`), KIND);
  const busiest = readRows(
    'overview busiest',
    await sql(
      `SELECT e.node, e.pid, coalesce(p.name, p.module, p.initial_call) AS who, count(*) AS events
       FROM events e LEFT JOIN processes p USING (node, pid)
       WHERE e.pid IS NOT NULL GROUP BY ALL ORDER BY events DESC, e.node, e.pid LIMIT ${Math.trunc(opts.busiest ?? 10)}`,
    ),
    BUSY,
  );
  const meta = readRows(
    'overview sources',
    await sql(
      `SELECT source, node, key, value FROM meta
       WHERE key IN ('totals.events_dropped', 'totals.terms_truncated', 'totals.stop_reason', 'otp_release', 'elixir_version', 'recorder_version')
       ORDER BY source, key`,
    ),
    META,
  );
  const bySource = new Map<string, SourceFacts>();
  for (const m of meta) {
    let f = bySource.get(m.source);
    if (f === undefined) {
      f = {
        source: m.source,
        node: m.node ?? '',
        eventsDropped: null,
        termsTruncated: null,
        stopReason: null,
        otpRelease: null,
        elixirVersion: null,
        recorderVersion: null,
      };
      bySource.set(m.source, f);
    }
    const n = m.value === null || !/^\d+$/.test(m.value) ? null : Number(m.value);
    if (m.key === 'totals.events_dropped') f.eventsDropped = n;
    else if (m.key === 'totals.terms_truncated') f.termsTruncated = n;
    else if (m.key === 'totals.stop_reason') f.stopReason = m.value;
    else if (m.key === 'otp_release') f.otpRelease = m.value;
    // NULL for a node without Elixir of its own
    else if (m.key === 'elixir_version') f.elixirVersion = m.value;
    else if (m.key === 'recorder_version') f.recorderVersion = m.value;
  }
  // From the ingest table the \`drops\` step builds on: it is there from the load on, before the first view.
  const dropped = readRows(
    'overview dropped',
    await sql(`SELECT src, node, coalesce(sum(count), 0)::BIGINT AS count FROM drops_raw GROUP BY src, node ORDER BY src, node`),
    DROPPED,
  );
  return { totals, nodes, kinds, busiest, sources: [...bySource.values()], dropped };
}

/**
 * How many events one loaded file lost, per node: what the recorder counted (an otpscope archive's
 * \`totals.events_dropped\`, \`facts\`), else what its \`drop\` events count (a raw \`dbg\` or \`ttb\` trace's drop
 * frames and \`{drop, N}\` terms: no reader fills the totals). Empty when neither says anything: unknown, not 0.
 */
export function droppedOn(o: Pick<OverviewFirst, 'dropped'>, src: number, facts: SourceFacts | undefined): { node: string; count: number }[] {
  if (facts !== undefined && facts.eventsDropped !== null) return [{ node: facts.node, count: facts.eventsDropped }];
  return o.dropped.filter((d) => d.src === src).map(({ node, count }) => ({ node, count }));
}
