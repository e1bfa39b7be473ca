/**
 * Every query the analyzer's views run, one module per view. Each function
 * takes the engine's `Sql` first and returns typed rows (read through a
 * column spec, src/engine/views/rows.ts). The worker binds them to its engine
 * and exposes them as `EngineApi.views`; the CLI calls them directly.
 */
import { anomalyEvidence, anomalyList } from './anomalies';
import { checkExpectations } from './expectations';
import { overview, overviewCounts, overviewFirst } from './overview';
import { VIEW_NEEDS } from './needs';
import { eventDetail, eventPlace, processList, stoppedProcesses, traceSpan } from './processes';
import type { Sql, Tail } from './rows';
import { chartBusiest, chartSeries } from './charts';
import { timelineArea, timelineAreaRows, timelineEvent, timelineLanes, timelineMarks, timelineTile } from './timeline';
import { callGroups, callHistogram, slowestCalls, unansweredCalls } from './calls';
import { schemaListing } from './schema';
import { sourceOfEvent } from './source';
import { causalChain } from './causality';
import { sequenceProcesses, sequenceRows, sequenceSuggested } from './sequence';
import { callsInFlight, mailboxAt, stateAt, stateChanges, stateChangesAround } from './state';
import { compareLoaded, compareMatches, compareTables } from './compare';
import { markdownReport } from './report';
import { checkLink } from './link';
// Finding things: the omnibox and the process table.
import { searchTrace } from './search';
import { processTable } from './process-table';
import { flameChart, flameProcesses } from './flame';

export const VIEWS = {
  overview,
  overviewFirst,
  overviewCounts,
  anomalyList,
  anomalyEvidence,
  processList,
  stoppedProcesses,
  traceSpan,
  eventDetail,
  eventPlace,
  checkExpectations,
  stateAt,
  stateChangesAround,
  mailboxAt,
  callsInFlight,
  stateChanges,
  sequenceProcesses,
  sequenceSuggested,
  sequenceRows,
  causalChain,
  sourceOfEvent,
  schemaListing,
  callGroups,
  callHistogram,
  slowestCalls,
  unansweredCalls,
  timelineLanes,
  timelineTile,
  timelineMarks,
  timelineEvent,
  timelineArea,
  timelineAreaRows,
  chartBusiest,
  chartSeries,
  compareLoaded,
  compareTables,
  compareMatches,
  markdownReport,
  checkLink,
  searchTrace,
  processTable,
  flameChart,
  flameProcesses,
};

type ViewFns = typeof VIEWS;

/** The views bound to one engine: the `sql` argument is filled in. */
export type Views = { [K in keyof ViewFns]: (...args: Tail<Parameters<ViewFns[K]>>) => Promise<Awaited<ReturnType<ViewFns[K]>>> };

/** The same views with a leading `key`: a request superseded by a newer one with the same key rejects instead of running. */
export type LatestViews = { [K in keyof Views]: (key: string, ...args: Parameters<Views[K]>) => ReturnType<Views[K]> };

/**
 * Binds the views to an engine's \`sql\`. With \`ready\`, each view first
 * waits for the tables it reads (needs.ts; undefined: every table), so it
 * answers while the other tables are still being built.
 */
export function bindViews(sql: Sql, ready?: (tables: readonly string[] | undefined) => Promise<void>, answered?: (view: string) => void): Views {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(VIEWS)) {
    const needs = VIEW_NEEDS[name as keyof typeof VIEWS] ?? undefined;
    out[name] = async (...args: unknown[]) => {
      if (ready) await ready(needs);
      const answer = await (fn as (s: Sql, ...a: unknown[]) => unknown)(sql, ...args);
      answered?.(name);
      return answer;
    };
  }
  return out as Views;
}

export function latestViews(views: Views, latest: (key: string) => Promise<void>): LatestViews {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(views))
    out[name] = async (key: string, ...args: unknown[]) => {
      await latest(key);
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
  return out as LatestViews;
}
