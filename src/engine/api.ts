/**
 * The engine's API as the UI sees it (through the worker and comlink):
 * loading, the views' typed queries, the SQL console, export. `EngineApi`
 * is the whole contract between UI and engine; the worker exposes the object
 * `createEngineApi` returns, and tests in Node expose the same object over a
 * MessageChannel.
 */
import { transfer } from 'comlink';
import type { Engine, InputFile, LoadOptions, LoadProgress, LoadReport, StepProgress } from './engine';
import { SqlConsole, type ConsoleOptions, type ConsoleResult } from './console';
import { bindViews, latestViews, type Views } from './views';
import type { OverviewFirst } from './views/overview';
import type { ProcessRow } from './views/processes';
import { Comparison } from './compare/comparison';
import { WarmUp, type WarmUpReport } from './warm-up';

export class SupersededError extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'SupersededError';
  }
}

/** What the page shows first after a load: answered with the load itself (EngineApi.load, \`background\`). */
export interface FirstView {
  overview: OverviewFirst;
  processes: ProcessRow[];
}

/** The views, each of whose answers can be held back (EngineApi.holdAnswers). */
function answerHold(views: Views) {
  let view: keyof Views | null = null;
  let gate = Promise.resolve();
  let open = () => {};
  let waiting = 0;
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(views))
    out[name] = async (...args: unknown[]) => {
      const answer = await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      if (view !== name) return answer;
      waiting++;
      await gate.finally(() => waiting--);
      return answer;
    };
  return {
    views: out as Views,
    hold(name: keyof Views | null) {
      open();
      view = name;
      gate = name === null ? Promise.resolve() : new Promise<void>((resolve) => (open = resolve));
    },
    waiting: () => waiting,
  };
}

export function createEngineApi(open: () => Promise<Engine>) {
  let enginePromise: Promise<Engine> | undefined;
  const engine = (): Promise<Engine> => (enginePromise ??= open());
  const sql = async (text: string, maxRows?: number) => (await engine()).query(text, maxRows);
  // Each view waits for the tables it reads (views/needs.ts): the others may still be building after a load.
  const views = bindViews(
    sql,
    async (tables) => (await engine()).ready(tables),
    (view) => void engine().then((e) => e.viewAnswered(view)),
  );
  const held = answerHold(views);
  let sqlConsole: SqlConsole | undefined;
  const consoleOf = async () => {
    if (sqlConsole) return sqlConsole;
    const e = await engine();
    const db = e.db.wasm;
    // The console's cancel and time limit use DuckDB-WASM's pending queries; the API runs on DuckDB-WASM.
    if (!db) throw new Error('the SQL console runs on DuckDB-WASM only');
    return (sqlConsole = new SqlConsole(db));
  };
  let warmUp: WarmUp | undefined;
  /** A load is coming: the warm-up gives way to it (at its next statement) and never runs again. */
  let loadsBegun = false;
  const beginLoad = () => {
    loadsBegun = true;
    warmUp?.stop();
  };
  let comparison: Comparison | undefined;
  const comparisonOf = async () => {
    if (comparison) return comparison;
    const e = await engine();
    // The compare tables read every table of A.
    await e.ready();
    // Recording B loads through a second connection of the same database.
    return (comparison = new Comparison(e.db));
  };

  /** Per-key generation counters: a request superseded by a newer one with the same key is not run. */
  const generations = new Map<string, number>();
  async function latest(key: string): Promise<void> {
    const gen = (generations.get(key) ?? 0) + 1;
    generations.set(key, gen);
    await new Promise((r) => setTimeout(r, 0));
    if (generations.get(key) !== gen) throw new SupersededError();
  }

  return {
    /** DuckDB's version string, from inside the engine. */
    async version(): Promise<string> {
      return (await engine()).version;
    },

    /**
     * Loads files; the bytes are moved to the engine (transferred), not copied. `options.limits` raises the archive
     * size ceilings. With `options.background` the answer comes once events and processes are built, and carries
     * the Overview's first part and the process list (`firstView`): the page shows them without asking again while
     * the other tables build, which would hold a question up for a whole build statement.
     */
    async load(files: InputFile[], onProgress?: (p: LoadProgress) => void, options?: LoadOptions): Promise<LoadReport & { firstView?: FirstView }> {
      beginLoad();
      const e = await engine();
      const report: LoadReport & { firstView?: FirstView } = await e.load(files, onProgress, options);
      // (not after a cancel: asking would build what the user stopped)
      if (report.building !== undefined && report.sources.length > 0)
        report.firstView = { overview: await views.overviewFirst(), processes: await views.processList() };
      // A's tables changed under the comparison: rebuild it, over every table of A.
      if (comparison?.loaded) {
        await e.ready();
        comparison.build();
      }
      return report;
    },

    /**
     * A load of \`files\` (a small archive: the bundled demo) into a scratch database nobody sees, so that the
     * user's first load finds DuckDB's code compiled (src/engine/warm-up.ts). For idle time before any load: a
     * load that comes meanwhile stops it at its next statement, and after a load it does nothing. Nothing of
     * it stays (tables, rows, DuckDB's memory); a second call answers the first's report.
     */
    async warmUp(files: InputFile[]): Promise<WarmUpReport> {
      if (warmUp === undefined) {
        if (loadsBegun) return { outcome: 'skipped', statements: 0, ms: 0 };
        const e = await engine();
        warmUp ??= new WarmUp(e.db);
        if (loadsBegun) warmUp.stop();
      }
      return warmUp.run(files);
    },

    async cancelLoad(): Promise<void> {
      (await engine()).cancel();
    },

    /** Holds the tables behind the first view unbuilt until called with false (tests of the loading panel). */
    async holdBuilds(on: boolean): Promise<void> {
      (await engine()).holdBuilds(on);
    },

    /**
     * With a view's name, that view's answers through \`latest\` wait, once computed, until called again with null;
     * answers how many wait now. For tests of the page's handling of an answer that comes late (after the tables
     * it was asked beside were built).
     */
    async holdAnswers(view: keyof Views | null | undefined): Promise<number> {
      if (view !== undefined) held.hold(view);
      return held.waiting();
    },

    /** Every analysis table's build step and its state (after a load: ready, building, waiting, on use, stopped, failed). */
    async tables(): Promise<StepProgress[]> {
      return (await engine()).tables();
    },

    /** Resolves when the tables named (default: every table) are built; builds them now if nothing else will. */
    async ready(tables?: string[]): Promise<void> {
      await (await engine()).ready(tables);
    },

    /** Every view's queries, typed (src/engine/views). */
    views,

    /**
     * The views again, each with a leading `key`: a request still waiting when
     * a newer one with the same key arrives rejects with SupersededError
     * instead of running (a timeline scrolled past, a selection changed again).
     */
    latest: latestViews(held.views, latest),

    /**
     * SQL typed by the user (the SQL console): its own connection, read-only
     * over the analysis tables, cancellable, with a time limit
     * (src/engine/console.ts). Rejects with a ConsoleError that says why.
     */
    console: {
      async run(text: string, opts: ConsoleOptions = {}): Promise<ConsoleResult> {
        // The console reads through its own connection: the tables the query names must be built first.
        await (await engine()).readyFor(text);
        return (await consoleOf()).run(text, opts);
      },
      async cancel(): Promise<void> {
        sqlConsole?.cancel();
      },
    },

    /** Memory held by the engine: DuckDB's own accounting, plus the wasm heap and JS heap where the platform tells. */
    async memory(): Promise<{ duckdbBytes: number; wasmBytes: number; jsHeapBytes: number | null }> {
      const heap = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
      return { ...(await engine()).memory(), jsHeapBytes: heap ? heap.usedJSHeapSize : null };
    },

    /** A console query's result as a Parquet file (the bytes, transferred), written with parquet-wasm; same rules as `console.run`. */
    async exportParquet(text: string): Promise<Uint8Array> {
      await (await engine()).readyFor(text);
      const ipc = await (await consoleOf()).arrowIpc(text);
      const { arrowIpcToParquet } = await import('./parquet');
      const bytes = await arrowIpcToParquet(ipc);
      return transfer(bytes, [bytes.buffer]);
    },

    /**
     * Comparing with a second recording B (src/engine/compare): B loads into
     * schema `b` of the same database and keeps its own timeline (`compare.b`
     * is every view over B); the compare tables appear in `views.compareTables`.
     */
    compare: {
      /** Loads B (replacing any previous B; bytes transferred) and builds the compare tables. */
      async load(files: InputFile[], onProgress?: (p: LoadProgress) => void, options?: LoadOptions): Promise<LoadReport> {
        beginLoad();
        return (await comparisonOf()).load(files, onProgress, options);
      },
      /** A's process `a` is B's process `b` (null: no counterpart); rebuilds the tables. */
      async setMatch(a: { node: string; pid: string } | null, b: { node: string; pid: string } | null): Promise<void> {
        (await comparisonOf()).setMatch(a, b);
      },
      async resetMatches(): Promise<void> {
        (await comparisonOf()).resetMatches();
      },
      /** Forgets B and the compare tables. */
      async clear(): Promise<void> {
        comparison?.clear();
      },
      /** Every view, over recording B. */
      b: bindViews(async (text: string, maxRows?: number) => (await comparisonOf()).engineB.query(text, maxRows)),
    },

    /** Sets anomaly thresholds (the `params` table) and recomputes the anomalies. */
    async setParams(values: Record<string, number>): Promise<void> {
      const e = await engine();
      await e.ready(['anomalies']);
      e.setParams(values);
      if (comparison?.loaded) comparison.setParams(values);
    },
  };
}

export type EngineApi = ReturnType<typeof createEngineApi>;
