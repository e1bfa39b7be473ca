/**
 * The one place that knows which tables each view reads. After a load the
 * engine answers as soon as events and processes are built and builds the
 * other tables behind (engine.ts `background`); a view's function waits for
 * its tables only (bindViews), and the UI shows "building <table>…" for a
 * view whose tables are not ready. `ALL` waits for every table (views that
 * run the user's SQL or list the schema, and the comparison).
 *
 * Names are those sql/build.ts BUILD_STEPS make (tables, views, macros).
 * test/unit/engine-staged.test.ts checks each view against this list: with
 * only the steps up to its tables built, it must answer.
 */
import type { VIEWS } from './index';

export const ALL = null;

/** The tables (views, macros) each view reads; `ALL` for every table. */
export const VIEW_NEEDS: { readonly [K in keyof typeof VIEWS]: readonly string[] | typeof ALL } = {
  overview: ['events', 'processes', 'messages', 'calls', 'states', 'anomalies'],
  overviewFirst: ['events', 'processes'],
  overviewCounts: ['messages', 'calls', 'states'],
  anomalyList: ['anomalies'],
  anomalyEvidence: ['anomaly_events', 'events'],
  processList: ['events', 'processes'],
  stoppedProcesses: ['events', 'processes', 'messages'],
  traceSpan: ['events'],
  eventDetail: ['events', 'messages'],
  eventPlace: ['events'],
  checkExpectations: ALL,
  stateAt: ['states'],
  stateChangesAround: ['states'],
  mailboxAt: ['mailbox_at'],
  callsInFlight: ['calls'],
  stateChanges: ['state_changes'],
  sequenceProcesses: ['events', 'messages', 'processes'],
  sequenceSuggested: ['messages'],
  sequenceRows: ['calls', 'events', 'messages', 'processes', 'signal_lines'],
  causalChain: ['causes', 'effects', 'events'],
  sourceOfEvent: ['events'],
  schemaListing: ALL,
  callGroups: ['call_groups', 'calls'],
  callHistogram: ['latency_histogram', 'call_shapes'],
  slowestCalls: ['call_shapes'],
  unansweredCalls: ['call_shapes'],
  timelineLanes: ['events', 'processes'],
  timelineTile: ['events', 'messages', 'processes', 'signal_lines', 'spans'],
  timelineMarks: ['events'],
  timelineEvent: ['events', 'messages', 'processes'],
  timelineArea: ['events', 'messages', 'processes'],
  timelineAreaRows: ['messages', 'processes', 'spans'],
  chartBusiest: ['messages'],
  chartSeries: ['events', 'messages', 'mailbox_depth_buckets', 'state_size_buckets'],
  compareLoaded: ALL,
  compareTables: ALL,
  compareMatches: ALL,
  markdownReport: ['anomalies', 'call_shapes', 'calls', 'events', 'messages', 'processes', 'spans', 'states'],
  checkLink: ['events', 'processes'],
  searchTrace: ['events', 'processes'],
  processTable: ['events', 'processes', 'messages', 'mailbox_depth', 'states', 'state_changes'],
  flameChart: ['calls', 'events', 'spans'],
  flameProcesses: ['calls', 'processes', 'spans'],
};

/** The tables a view reads (undefined: every table). */
export function viewNeeds(view: keyof typeof VIEWS): readonly string[] | undefined {
  return VIEW_NEEDS[view] ?? undefined;
}
