import type { Component } from 'svelte';
import type { Panel, Session } from '../lib/session.svelte';
import { VIEW_NEEDS } from '../../engine/views/needs';

/**
 * The views of the main area. The timeline, sequence diagram and charts are
 * another team's components: they are picked up here by file name as soon as
 * they exist (Vite resolves the glob at build time), and a placeholder shows
 * until then.
 */
export type View = Component<{ session: Session }>;

const external = import.meta.glob<{ default: View }>([
  './timeline/Timeline.svelte',
  './sequence/SequenceDiagram.svelte',
  './charts/Charts.svelte',
  './compare/Compare.svelte',
]);

export const EXTERNAL: Partial<Record<Panel, () => Promise<{ default: View }>>> = {
  timeline: external['./timeline/Timeline.svelte'],
  sequence: external['./sequence/SequenceDiagram.svelte'],
  charts: external['./charts/Charts.svelte'],
  compare: external['./compare/Compare.svelte'],
};

const fetched = new Map<Panel, Promise<{ default: View }>>();

/**
 * An external view's module, fetched once. The page asks for the shown panel's as soon as it knows the panel (the
 * welcome page, a link's hash), not when a load is in: a page opened on the Timeline fetched and compiled its module
 * after the load's answer, 0.3-0.5 s on a busy machine at 1M events, and asked for its lanes only after the build's
 * first statement had begun, which they then waited for. A failed fetch is forgotten, so showing the panel again
 * tries again.
 */
export function externalView(panel: Panel): Promise<{ default: View }> | undefined {
  const load = EXTERNAL[panel];
  if (!load) return undefined;
  let p = fetched.get(panel);
  if (!p) {
    p = load();
    fetched.set(panel, p);
    p.catch(() => fetched.delete(panel));
  }
  return p;
}

export const PANEL_LABELS: Record<Panel, string> = {
  overview: 'Overview',
  processes: 'Processes',
  timeline: 'Timeline',
  sequence: 'Sequence',
  state: 'State',
  calls: 'Calls',
  flame: 'Flame',
  charts: 'Charts',
  causality: 'Causality',
  anomalies: 'Anomalies',
  source: 'Source',
  sql: 'SQL',
  expectations: 'Expectations',
  compare: 'Compare',
};

/** The engine views each panel asks (src/engine/views): what it waits for while tables are still being built. */
const PANEL_VIEWS: Record<Panel, (keyof typeof VIEW_NEEDS)[]> = {
  overview: ['overviewFirst', 'overviewCounts', 'anomalyList'],
  processes: ['processTable'],
  timeline: ['timelineLanes', 'timelineTile'],
  sequence: ['sequenceProcesses', 'sequenceRows'],
  state: ['stateAt', 'mailboxAt', 'callsInFlight', 'stateChanges'],
  calls: ['callGroups', 'callHistogram', 'slowestCalls'],
  flame: ['flameProcesses', 'flameChart'],
  charts: ['chartBusiest', 'chartSeries'],
  causality: ['causalChain'],
  anomalies: ['anomalyList', 'anomalyEvidence'],
  source: ['sourceOfEvent'],
  sql: ['schemaListing'],
  expectations: ['checkExpectations'],
  compare: ['compareTables'],
};

/** The tables a panel's views read (null: every table). */
export function panelNeeds(panel: Panel): readonly string[] | null {
  const needs = PANEL_VIEWS[panel].map((v) => VIEW_NEEDS[v]);
  return needs.includes(null) ? null : [...new Set(needs.flatMap((n) => n ?? []))];
}
