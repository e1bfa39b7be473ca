import { batchSize, TraceReadError, TraceStoppedError, type EventColumns, type TraceBatch } from '../archive/trace-event';
import { DEFAULT_READ_LIMITS, type ReadLimits } from '../archive/read-limits';
import type { DiskStorage, DuckDb } from './duckdb/types';
import { asConnection, type EngineConnection } from './duckdb/connection';
import { EventSink, RAW_TABLES } from './ingest/event-sink';
import { IpcOut } from './ingest/ipc-out';
import { NodeRuns, type ArchiveRun } from './ingest/node-runs';
import { clockWarnings } from './clock-domains';
import { overlapWarnings } from './overlap';
import {
  BUILD_IN_EVENT_RANGES,
  BUILD_IN_KEY_PARTS,
  BUILD_STEPS,
  BUILD_STEPS_STREAMED,
  DEFERRED_RAW_TABLES,
  FIRST_VIEW_STEPS,
  INSERT_DEFERRED,
  markDroppedReplies,
  markInDrop,
  signalSenders,
  resequenceEvents,
  SCHEMA_VERSION,
  STREAM_MAILBOX_STEP,
  STREAM_STEP,
  type BuildStep,
} from './sql/build';
import { inEventRanges, inKeyParts } from './sql/event-ranges';
import { BUILD_MAILBOX_DEPTHS, mailboxDepthInRanges } from './sql/system-at';
import { BUILD_CAUSAL_LINKS_TABLE, causalLinksInRanges } from './sql/causality';
import { markSpansInDrop } from './sql/spans-states';
import { EventStore } from './stream/event-store';
import { applyResequence, runStreamAnalyses } from './stream/run';
import { BuildCancelledError, TableBuilds, type StepProgress } from './table-builds';
import { CREATE_PARAMS, REBUILD_ANOMALIES } from './sql/anomalies';
import { ANOMALY_GUARDS, GUARD_STEP, skippedKinds, withAnomalyGuards } from './anomaly-guards';
import { groupInputs, openSource, sourceRun, type InputFile, type InputGroup, type ModuleSource } from '../archive/formats';
import type { QueryResult } from './result';
import { yieldToEventLoop } from './yield';

export type { InputFile } from '../archive/formats';
export type { ReadLimits } from '../archive/read-limits';
export type { StepProgress, TableState } from './table-builds';

export interface LoadOptions {
  /** Ceilings on what an archive may inflate to (zip bombs); unset fields keep the engine's. */
  limits?: Partial<ReadLimits>;
  /** How raw dbg/ttb traces print charlists: `sigil` (`~c"abc"`, Elixir 1.15+, default) or `quotes` (`'abc'`, 1.14). */
  rawCharlists?: 'sigil' | 'quotes';
  /**
   * Resolve once the Overview and the process list can answer (events and processes built); the other tables
   * build behind, one statement at a time, while queries are answered: a view waits for its tables with
   * `ready`, and progress goes on (phase `building`, then `done`). Without it the load resolves when every
   * table is built (the CLI).
   */
  background?: boolean;
  /**
   * With \`background\`: the views (\`EngineApi.views\` names) the page asks right after the answer, when the answer
   * does not carry them (a page opened on the Timeline: its lanes and first tile). The build behind starts once each
   * has answered, or after FIRST_VIEWS_MAX_MS, rather than after a fixed head start that a busy page outlasts.
   */
  firstViews?: readonly string[];
  /**
   * Without \`background\`: the tables (views, macros) the caller will read; the load resolves when they are built
   * (and every step before them) and leaves the rest to be built on use (\`ready\`, \`readyFor\`). Default: every table.
   */
  tables?: readonly string[];
  /** Read archives with one object per event, the earlier ingest (same tables), so the bench can compare the two in one run. */
  eventObjects?: boolean;
  /**
   * Where the tables go (the browser): \`auto\` (default) keeps them in memory unless the archives declare more
   * than DISK_ABOVE_EVENTS events, \`disk\` moves them to the database file on disk (OPFS), \`memory\` never does.
   * Only a load into an empty engine can move them.
   */
  storage?: 'auto' | 'memory' | 'disk';
}

export interface LoadProgress {
  /** `building`: the load returned (background), the other tables are being built behind it. */
  phase: 'reading' | 'ingesting' | 'analysing' | 'building' | 'done';
  file: string;
  bytesRead: number;
  bytesTotal: number;
  events: number;
  eventsPerSecond: number;
  /** While analysing: the table being built, and how many of the build statements have run. */
  step?: { name: string; index: number; count: number };
  /** While analysing and building: every build step (its table) and its state. */
  tables?: StepProgress[];
  /** The disk's name (\`OPFS\`) when the tables go to a database file on disk (see LoadOptions.storage). */
  disk?: string;
}

export interface LoadedSource {
  name: string;
  /** The file's number in the tables' \`src\` columns (events, drops, ...). */
  src: number;
  kind: 'otpscope' | 'dbg' | 'ttb';
  node: string;
  events: number;
  warnings: string[];
}

export interface LoadReport {
  sources: LoadedSource[];
  events: number;
  warnings: string[];
  /** Errors for files that could not be read; other files still loaded. */
  errors: { file: string; offset: number; message: string }[];
  /** Inputs not loaded because the same content is already loaded (or came earlier in this load); also in \`warnings\`. */
  duplicates: { file: string; sameAs: string }[];
  millis: number;
  /** Where the time went: reading and decoding (with building Arrow batches), DuckDB inserts, and each analysis statement. */
  timings: { readMs: number; insertMs: number; analyseMs: number; steps: { sql: string; ms: number }[] };
  /** With \`background\`: the tables still being built when the load returned (\`Engine.ready\` resolves when they are). */
  building?: string[];
  /** With \`background\`: the first and last event's ts of everything loaded (null: no events), so a page need not ask. */
  span?: { start: bigint; end: bigint } | null;
  /** Where the tables are after this load: DuckDB's memory, or a database file (\`disk\`: OPFS in the browser), and why. */
  storage: StorageUsed;
}

/** Where the engine keeps its tables. */
export interface StorageUsed {
  where: 'memory' | 'disk';
  /** The disk's name (\`OPFS\`) when on disk. */
  disk?: string;
  /** Why, in a sentence a page can show. */
  why: string;
}

/**
 * Above this many events (declared by the archives before they are read) a load into an empty engine moves the
 * tables to the database file on disk, when there is one: the browser's 4 GB held 7.5M events with every table
 * in memory, and the analysis of 10M ran out of it (README Performance).
 */
export const DISK_ABOVE_EVENTS = 4_000_000;

/**
 * How the analysis tables are built: `stream` computes messages,
 * send_targets, spans, causal_links and mailbox_depth in one pass over the
 * event columns (src/engine/stream) and the rest in SQL; `sql` (the default
 * until the pass is measured faster end to end: README Performance) builds
 * every table in SQL, the reference; `both` builds everything in SQL and
 * writes the streaming tables beside them as `stream_<table>`, for tests
 * that compare the two.
 */
export type Analyses = 'stream' | 'sql' | 'both';

const SQL_TYPES = { i64: 'BIGINT', i32: 'INTEGER', f64: 'DOUBLE', str: 'VARCHAR', bool: 'BOOLEAN' } as const;

/** How long a background build waits before its first statement, so the views' first queries go first (ms). */
const FIRST_VIEW_HEAD_START_MS = 150;

/** How long a background build's next statement waits after a view answered, for the page's follow-up question (ms). */
const VIEW_GRACE_MS = 120;

/** The longest a background build waits for the views a page said it asks first (\`LoadOptions.firstViews\`, ms). */
const FIRST_VIEWS_MAX_MS = 1000;

/**
 * Up to this many events a build step's statements run as one query (table-builds.ts \`together\`): over a small
 * load each statement's fixed cost outweighs its work (the demo: ~60 statements); above it they run one at a time,
 * so the views' queries are answered between them.
 */
const TOGETHER_EVENTS = 50_000;

/**
 * Up to this many events native DuckDB leaves the ingest tables uncompressed (no CHECKPOINT after the load): a
 * megabyte or two, where the checkpoint was the load's slowest statement (the demo archive: 12-87 ms of the
 * summary's wall time, against ~3 ms for each analysis statement).
 */
const UNCOMPRESSED_EVENTS = 10_000;

/** Rows per Arrow batch handed to DuckDB while a file streams in. */
const FLUSH_ROWS = 200_000;

/**
 * Events per range when DuckDB-WASM builds a big table one range of events at a time (sql/event-ranges.ts):
 * about what one statement's uncompressed rows may hold of wasm memory, which never comes back. Native DuckDB
 * builds each table in one statement (its memory is the process's, and it spills).
 */
const RANGE_EVENTS = 500_000;

/**
 * How many bytes of the deferred ingest tables' batches (sql/build.ts DEFERRED_RAW_TABLES) a load holds back
 * for after the first view; past it they are inserted as they come (~1.5M ping-pong events' worth).
 */
const HOLD_BYTES = 256 * 1024 * 1024;
const DEFERRED = new Set<string>(DEFERRED_RAW_TABLES);

/**
 * The analysis engine: readers in, DuckDB tables out, SQL on top. It owns one
 * DuckDB connection and knows nothing of where it runs (worker or Node).
 */
export class Engine {
  private nextSrc = 0;
  private cancelled = false;
  /** Events in events_raw; the next file's provisional seq starts here. */
  private totalEvents = 0;
  private insertMs = 0;
  /** Writes (meta, sources) that wait until the file being loaded has succeeded. */
  private deferred: (() => void)[] = [];
  /** Arrow batches of the ingest tables the first view does not read, inserted by the build step after it. */
  private held: { table: string; src: number; ipc: Uint8Array }[] = [];
  /** Whether this load holds those batches back at all (see holdsBack). */
  private holdBack = true;
  /** Where every ingest batch's Arrow IPC is written, one after the other (see IpcOut): kept from load to load. */
  private readonly ipcOut = new IpcOut();
  private heldBytes = 0;
  /** Whether arrival order is no longer (ts, node, src, ord) order, so seq must be recomputed. */
  private outOfOrder = false;
  private lastKey: { ts: bigint; node: string; src: number; ord: number } | null = null;
  /** SHA-256 of each loaded input's content (hex) -> the name it was loaded under: the same trace is never loaded twice. */
  private readonly loaded = new Map<string, string>();
  /**
   * Each loaded file by its \`src\`: its name (overlapWarnings names the files that traced the same events) and node
   * (a ttb folder's null: it may hold several; overlapWarnings runs only where a node repeats).
   */
  private readonly srcFiles = new Map<number, { name: string; node: string | null }>();
  /** The runs of each archived node name loaded (node-runs.ts): a later run's processes read under \`name#2\`. */
  private runs = new NodeRuns();
  /** Every loaded event as typed columns, index = seq (none with `analyses: 'sql'`). */
  private readonly store: EventStore | undefined;
  /** Which analysis tables are ready, and the loop that builds them (table-builds.ts). */
  private readonly builds: TableBuilds;
  /** The streaming pass of the current build (analyses \`stream\`/\`both\`): its mailbox_depth comes later. */
  private stream: ReturnType<typeof runStreamAnalyses> | undefined;
  /** The anomaly kinds' statements this build skips: kinds that cannot have rows in it (anomaly-guards.ts). */
  private skippedKinds = new Set<string>();
  /** Where the build's progress goes: the latest load's callback, also after it returned (background). */
  private onBuild: ((statement: { name: string; index: number; count: number } | null) => void) | undefined;
  /** Where the tables are (see LoadOptions.storage). */
  private storage: StorageUsed = { where: 'memory', why: 'in memory' };

  private constructor(
    /** The database the engine talks to: DuckDB-WASM or native DuckDB (duckdb/connection.ts). */
    readonly db: EngineConnection,
    private readonly flushRows: number,
    private readonly rangeEvents: number,
    private readonly limits: ReadLimits,
    readonly analyses: Analyses,
    /** The database file the tables move to when a load would not fit in memory (the browser's OPFS). */
    private readonly disk: DiskStorage | undefined,
  ) {
    this.store = analyses === 'sql' ? undefined : new EventStore();
    const plan: BuildStep[] = withAnomalyGuards(analyses === 'stream' ? BUILD_STEPS_STREAMED : BUILD_STEPS);
    // Tests compare the streaming tables, written beside the SQL ones, after everything else.
    if (analyses === 'both') plan.push({ name: 'stream tables', makes: ['stream_tables'], sql: [STREAM_BESIDE] });
    this.builds = new TableBuilds(plan, {
      run: (sql) => (Array.isArray(sql) ? this.runBuildStatements(sql) : this.runBuildStatement(sql as string | symbol)),
      together: () => this.totalEvents <= TOGETHER_EVENTS,
      onChange: (statement) =>
        this.onBuild?.(
          statement && { name: typeof statement.sql === 'string' ? stepName(statement.sql) : statement.name, index: statement.index, count: statement.count },
        ),
    });
  }

  /**
   * @param database DuckDB-WASM or native DuckDB (duckdb/connection.ts)
   * @param options.flushRows rows per Arrow batch handed to DuckDB while a file streams in
   * @param options.rangeEvents events per range when DuckDB-WASM builds a big table a range at a time (RANGE_EVENTS)
   * @param options.limits ceilings on what an archive may inflate to (default DEFAULT_READ_LIMITS)
   * @param options.analyses how the analysis tables are built (default `sql`; see Analyses)
   * @param options.disk where the tables may move when a load would not fit in memory (the worker's own engine only)
   */
  static async create(
    database: DuckDb | EngineConnection,
    options: { flushRows?: number; rangeEvents?: number; limits?: Partial<ReadLimits>; analyses?: Analyses; disk?: DiskStorage } = {},
  ): Promise<Engine> {
    const db = asConnection(database);
    const e = new Engine(
      db,
      options.flushRows ?? FLUSH_ROWS,
      options.rangeEvents ?? RANGE_EVENTS,
      { ...DEFAULT_READ_LIMITS, ...options.limits },
      options.analyses ?? 'sql',
      options.disk,
    );
    // One query, not one per statement: on a cold DuckDB-WASM each round trip (and its Arrow result) cost more than
    // its statement (~1 s of a warm start under load as 18 queries). Posted: a native database still opening
    // makes the tables when it is open, while the load reads its files.
    db.post(CREATE_TABLES);
    // The analysis tables are not built here: over empty tables their ~40 statements cost seconds of a cold
    // DuckDB-WASM (most of the browser's start-up), and the first load builds them anyway. A query before any
    // load builds them then (ensureTables).
    return e;
  }

  /**
   * Builds the analysis tables over what is loaded if no load has built them yet, so every table of
   * docs/SCHEMA.md exists (empty) before the first load. Queries call it; so must whoever reads the database
   * through another connection (the SQL console, a comparison).
   */
  ensureTables(): void {
    if (!this.builds.started) this.builds.buildAllNow();
  }

  /**
   * Resolves when the tables (views, macros) named are built, building them
   * now if nothing else will (a table built on first use, one a cancel left
   * unbuilt, or every table before the first load); with no names, when every
   * table is. Rejects with the build's error, or BuildCancelledError when the
   * user cancels first. After a \`background\` load, whoever reads through the
   * engine must await this for the tables it reads (the views do: views/needs.ts).
   */
  ready(tables?: readonly string[]): Promise<void> {
    return this.builds.ready(tables);
  }

  /** Resolves when the tables a query names are built (the SQL console's and expectations' queries). */
  readyFor(sql: string): Promise<void> {
    return this.builds.ready(this.builds.namedIn(sql));
  }

  /** Every build step and its state (the progress panel's list). */
  tables(): StepProgress[] {
    return this.builds.progress();
  }

  get version(): string {
    return this.db.version;
  }

  /** A view answered (the views' binding says so, with its name): a background build gives the page's next question a moment. */
  viewAnswered(view?: string): void {
    this.builds.viewAnswered(view);
  }

  /**
   * With \`on\`, the tables behind the first view wait to be built until called again with false (a load still
   * returns once its first view is in). For tests of the loading panel and its cancel.
   */
  holdBuilds(on: boolean): void {
    this.builds.hold(on ? FIRST_VIEW_STEPS : null);
  }

  /** Stops the load in flight: its reading, or the building of its tables (what is built stays; the rest is built on use). */
  cancel(): void {
    this.cancelled = true;
    this.builds.stop();
  }

  /**
   * Loads files into the database; files that fail are reported and skipped, nothing already loaded is lost.
   * A first load that runs out of memory with the tables in memory is loaded again with them on disk, when there
   * is one (the browser's OPFS) and \`options.storage\` leaves the choice to the engine.
   */
  async load(files: InputFile[], onProgress?: (p: LoadProgress) => void, options: LoadOptions = {}): Promise<LoadReport> {
    const empty = this.totalEvents === 0 && this.loaded.size === 0;
    const report = await this.loadOnce(files, onProgress, options);
    const outOfMemory = report.errors.filter((e) => OUT_OF_MEMORY_ERROR.test(e.message));
    if (!empty || this.disk === undefined || this.storage.where !== 'memory' || (options.storage ?? 'auto') !== 'auto' || outOfMemory.length === 0)
      return report;
    // Nothing was loaded before this load: forget what it loaded, and load it all again on disk.
    this.nextSrc = 0;
    this.totalEvents = 0;
    this.loaded.clear();
    this.srcFiles.clear();
    this.runs = new NodeRuns();
    this.store?.truncate(0);
    this.lastKey = null;
    this.outOfOrder = false;
    // Batches it held back for after the first view went with the in-memory tables (their src numbers come again).
    this.held = [];
    this.heldBytes = 0;
    const again = await this.loadOnce(files, onProgress, { ...options, storage: 'disk' });
    again.warnings.unshift(`DuckDB ran out of memory with the tables in memory (${outOfMemory[0].file}); loaded again with them on disk`);
    return again;
  }

  private async loadOnce(files: InputFile[], onProgress: ((p: LoadProgress) => void) | undefined, options: LoadOptions): Promise<LoadReport> {
    const started = performance.now();
    const limits = { ...this.limits, ...options.limits };
    this.cancelled = false;
    // The tables of earlier loads stop building while events come in; they are built again after them.
    this.builds.pause();
    const report: LoadReport = {
      sources: [],
      events: 0,
      warnings: [],
      errors: [],
      duplicates: [],
      millis: 0,
      timings: { readMs: 0, insertMs: 0, analyseMs: 0, steps: [] },
      storage: this.storage,
    };
    this.insertMs = 0;
    this.holdBack = this.holdsBack(options);
    const bytesTotal = files.reduce((n, f) => n + f.bytes.length, 0);
    let bytesDone = 0;
    let events = 0;
    const progress = (phase: LoadProgress['phase'], file: string, bytesInFile: number, step?: LoadProgress['step'], tables?: StepProgress[]) => {
      const secs = (performance.now() - started) / 1000;
      const disk = this.storage.disk;
      onProgress?.({ phase, file, bytesRead: bytesDone + bytesInFile, bytesTotal, events, eventsPerSecond: secs > 0 ? events / secs : 0, step, tables, disk });
    };
    const { groups, errors: inputErrors } = groupInputs(files);
    // A folder holds more than traces (notes, logs, a README): files inside one that are of no trace format at all
    // are skipped with a notice when the folder has traces; a file chosen by itself that is no trace is an error.
    const stray = (e: (typeof inputErrors)[number]) => e.notATrace === true && e.file.includes('/') && groups.length > 0;
    const errors = inputErrors.filter((e) => !stray(e));
    for (const e of inputErrors.filter(stray)) report.warnings.push(`${e.file}: skipped, not a trace file`);
    report.errors.push(...errors);
    let attempted = errors.length > 0;
    // Loading the same events twice would double every count and pair each message with its own copy.
    const hashes = await Promise.all(groups.map((g) => contentHash(g.files)));
    // Runs of one node name are told apart before any row is written: each archive's node, OS pid and start. A file
    // that is not loaded (its content already is, or comes earlier in this load) names no run.
    const fresh = new Set<string>();
    const newGroups = groups.filter((_, i) => !this.loaded.has(hashes[i]) && !fresh.has(hashes[i]) && fresh.add(hashes[i]) !== undefined);
    const runs = await Promise.all(newGroups.map(async (g) => ({ file: g.name, run: await sourceRun(g, limits) })));
    report.warnings.push(...this.runs.add(runs.flatMap(({ file, run }): ArchiveRun[] => (run === null ? [] : [{ file, ...run }]))));
    for (const [index, group] of groups.entries()) {
      const hash = hashes[index];
      const sameAs = this.loaded.get(hash);
      if (sameAs !== undefined) {
        report.duplicates.push({ file: group.name, sameAs });
        report.warnings.push(
          sameAs === group.name
            ? `${group.name} is already loaded; not loaded again`
            : `${group.name} is already loaded (same content as ${sameAs}); not loaded again`,
        );
        bytesDone += group.bytes;
        continue;
      }
      attempted = true;
      const src = this.nextSrc++;
      const sink = new EventSink(src, this.totalEvents, this.store, { dictionary: this.db.kind === 'wasm', rows: this.sinkRows(group.bytes) });
      const source: LoadedSource = { name: group.name, src, kind: group.kind, node: '', events: 0, warnings: [] };
      const lastGood = this.lastKey && { ...this.lastKey };
      const outOfOrderBefore = this.outOfOrder;
      // No transaction around the file: uncommitted rows stay uncompressed in the transaction's own storage
      // (at 1M events ~450 MB of wasm memory that never comes back). Each batch commits as it lands; a file
      // that fails has its rows deleted by \`src\`, and its meta rows are only written once it succeeded.
      this.deferred = [];
      try {
        const stopped: { at: TraceStoppedError | null } = { at: null };
        const opened = (declared: number) => this.chooseStorage(options.storage ?? 'auto', declared, report);
        for await (const batch of untilStopped(this.readGroup(group, source, sink, limits, options, opened), (e) => (stopped.at = e))) {
          if (batch.render) sink.useRender(batch.render);
          const c = batch.columns;
          if (c !== undefined) {
            sink.addColumns(c);
            this.checkOrderColumns(c, sink.nodeName(c.node), src);
          }
          for (const ev of batch.events) {
            sink.add(ev);
            this.checkOrder(ev.ts, sink.nodeName(ev.node), src, ev.order ?? sink.count - 1);
          }
          for (const f of batch.processes ?? []) sink.addFact(f);
          for (const t of batch.trees ?? []) sink.addTree(t.snapshot, t.node, t.term);
          events += batchSize(batch);
          source.events += batchSize(batch);
          if (sink.events.length >= this.flushRows) this.flush(sink);
          progress('ingesting', group.name, batch.bytesRead);
          await yieldToEventLoop();
          if (this.cancelled) throw new CancelledError();
        }
        const stop = stopped.at;
        if (stop !== null && source.events === 0) throw stop;
        sink.finish();
        this.flush(sink);
        for (const write of this.deferred) write();
        this.totalEvents += sink.count;
        this.loaded.set(hash, group.name);
        this.srcFiles.set(src, { name: group.name, node: source.kind === 'ttb' ? null : source.node });
        report.sources.push(source);
        report.warnings.push(...source.warnings);
        if (stop !== null)
          report.errors.push({
            file: group.name,
            offset: stop.offset,
            message: `${stop.message}; the ${source.events} events read are loaded, the rest of ${stop.file} is not`,
          });
      } catch (e) {
        this.discard(src);
        this.store?.truncate(this.totalEvents);
        this.lastKey = lastGood && { ...lastGood };
        this.outOfOrder = outOfOrderBefore;
        if (e instanceof CancelledError) {
          report.warnings.push(`loading ${group.name} was cancelled; it was not added`);
          break;
        }
        const offset = e instanceof TraceReadError ? e.offset : 0;
        const message = e instanceof Error ? e.message : String(e);
        report.errors.push({
          file: group.name,
          offset,
          message: isOutOfMemory(message)
            ? `${group.name}: too big to load here: DuckDB ran out of memory after ${source.events} of its events (${this.totalEvents} events were loaded before it and stay loaded). ` +
              this.memoryAdvice()
            : message,
        });
      } finally {
        bytesDone += group.bytes;
      }
    }
    if (!this.holdBack && attempted && this.totalEvents > UNCOMPRESSED_EVENTS) this.compressTables();
    if (report.sources.length > 0) {
      try {
        report.warnings.push(...clockWarnings(this.db, this.srcFiles));
      } catch {
        /* advice, as below */
      }
    }
    if (report.sources.length > 0 && this.mayOverlap()) {
      // Advice, not the load: a check that fails (out of memory on a big load) says nothing, the load goes on
      try {
        report.warnings.push(...overlapWarnings(this.db, this.srcFiles));
      } catch {
        /* the steps after it meet the same limit and say so */
      }
    }
    report.timings.insertMs = this.insertMs;
    report.timings.readMs = performance.now() - started - this.insertMs;
    await this.analyse(report, progress, options.background === true, attempted, options.tables, options.firstViews);
    report.events = report.sources.reduce((n, s) => n + s.events, 0);
    report.storage = this.storage;
    report.millis = performance.now() - started;
    if (!report.building?.length) progress('done', '', 0);
    return report;
  }

  /**
   * Builds the analysis tables after a load (\`fresh\`: new events came in,
   * every table is out of date; else nothing new came in and only what is not
   * built yet is built): first what the Overview and the process list read,
   * then the rest; with \`background\` the rest builds behind and this
   * returns once the first are in.
   */
  private async analyse(
    report: LoadReport,
    progress: (phase: LoadProgress['phase'], file: string, bytesInFile: number, step?: LoadProgress['step'], tables?: StepProgress[]) => void,
    background: boolean,
    fresh: boolean,
    tables?: readonly string[],
    firstViews?: readonly string[],
  ): Promise<void> {
    let phase: LoadProgress['phase'] = 'analysing';
    this.onBuild = (step) => {
      const last = phase === 'building' && step === null && !this.builds.busy;
      // Kept after done: a table built later on use (or after a cancel) reports to the same listener.
      progress(last ? 'done' : phase, '', 0, step ?? undefined, this.builds.progress());
    };
    if (!fresh) this.builds.resume();
    if (fresh) {
      this.builds.reset();
      progress('analysing', '', 0, undefined, this.builds.progress());
      await yieldToEventLoop();
    }
    const before = this.builds.steps.length;
    const analysing = performance.now();
    try {
      if (fresh) this.resequence();
      if (background) {
        await this.builds.ready(BUILD_STEPS.slice(0, FIRST_VIEW_STEPS).flatMap((s) => s.makes));
        const [t0, t1] = this.db.query('SELECT min(ts), max(ts) FROM events').rows[0];
        report.span = t0 === null || t1 === null ? null : { start: BigInt(t0 as bigint), end: BigInt(t1 as bigint) };
        // The page's first queries (the Overview, the process list) come right after this answer: a statement
        // behind would hold them up, so the rest starts a moment later, or once the views the page named answered.
        this.builds.background(FIRST_VIEW_HEAD_START_MS, VIEW_GRACE_MS, firstViews?.length ? { views: firstViews, maxMs: FIRST_VIEWS_MAX_MS } : undefined);
        phase = 'building';
      } else await this.builds.ready(tables);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof BuildCancelledError)
        report.warnings.push('building the analysis tables was cancelled; the events are loaded, and each table is built when a view needs it');
      else
        report.errors.push({
          file: 'analysis tables',
          offset: 0,
          message: isOutOfMemory(message)
            ? `the analysis tables could not be built: DuckDB ran out of memory${this.failedStepText()} with ${this.totalEvents} events loaded. The events table is usable; calls, states and the other derived tables may be missing. ${this.memoryAdvice()}`
            : `building the analysis tables failed${this.failedStepText()}: ${message}`,
        });
    }
    report.timings.steps = this.builds.steps.slice(before);
    report.timings.analyseMs = performance.now() - analysing;
    if (phase === 'building') {
      report.building = this.builds
        .progress()
        .filter((t) => t.state === 'waiting' || t.state === 'building')
        .map((t) => t.name);
      if (report.building.length > 0) progress('building', '', 0, undefined, this.builds.progress());
    } else this.onBuild = undefined;
  }

  /** What to do when DuckDB ran out of memory, for the engine in use. */
  /** \` in the "messages" step\` when a build step failed: which table a user can still not query, and where to look. */
  private failedStepText(): string {
    const step = this.builds.failedStep();
    return step === undefined ? '' : ` in the "${step}" step`;
  }

  private memoryAdvice(): string {
    if (this.db.kind !== 'wasm')
      return `Native DuckDB spills to its temporary directory past its memory limit; give it more memory or disk, load fewer files at once, or record less (max_events, duration, processes).`;
    const disk =
      this.disk === undefined
        ? ''
        : this.storage.where === 'disk'
          ? ` The tables are already in a database file on disk (${this.storage.disk}); what ran out is DuckDB's working memory.`
          : ` In a new tab, with ?storage=disk in the address, the tables go to a database file on disk (${this.disk.name}) from the start.`;
    return (
      `DuckDB-WASM (the browser, and the CLI's --engine wasm) stops at 4 GB of memory; 7.5M events fitted with every analysis table in memory in our measurements, 10M did not: load fewer files at once, record less (max_events, duration, processes), or use the CLI's native engine.` +
      disk
    );
  }

  /**
   * Before a file's events go in (\`declared\`: how many it says it holds): moves the tables to the database file
   * on disk when \`policy\` asks for it, or (\`auto\`) when the engine is empty and the file would not fit in memory.
   * A disk that cannot be used is reported and the tables stay in memory.
   */
  private async chooseStorage(policy: NonNullable<LoadOptions['storage']>, declared: number, report: LoadReport): Promise<void> {
    if (this.storage.where === 'disk' || policy === 'memory') return;
    if (this.disk === undefined) {
      if (policy === 'disk') report.warnings.push('the tables stay in memory: this engine has no database file on disk (only the browser has one, in OPFS)');
      return;
    }
    const big = declared > DISK_ABOVE_EVENTS;
    if (policy === 'auto' && !big) return;
    const why = policy === 'disk' ? 'asked for (storage=disk)' : `the file declares ${declared.toLocaleString('en')} events, more than memory holds`;
    if (this.totalEvents > 0) {
      report.warnings.push(
        `the tables stay in memory: ${why}, but only a load into an empty page moves them to disk (${this.disk.name}); load it in a new tab`,
      );
      return;
    }
    try {
      const path = await this.disk.prepare();
      this.db.query(`USE memory; DETACH otpscope; ATTACH '${path.replace(/'/g, "''")}' AS otpscope; USE otpscope`);
      this.storage = { where: 'disk', disk: this.disk.name, why };
    } catch (e) {
      this.db.query(`USE memory; ATTACH IF NOT EXISTS ':memory:' AS otpscope (COMPRESS); USE otpscope`);
      this.storage = { where: 'memory', why: `in memory: ${e instanceof Error ? e.message : String(e)}` };
      report.warnings.push(`the tables stay in memory (${why}): ${e instanceof Error ? e.message : String(e)}`);
    }
    // A new database: the empty tables again (the analysis tables are built after the load, as always).
    if (Number(this.db.query("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'otpscope' AND table_name = 'meta'").rows[0][0]) === 0)
      this.db.query(CREATE_TABLES);
  }

  /** Changes anomaly thresholds (docs/SCHEMA.md `params`) and recomputes the anomaly tables. */
  setParams(values: Record<string, number>): void {
    for (const [name, value] of Object.entries(values)) if (!Number.isFinite(value)) throw new Error(`param ${name}: ${value} is not a finite number`);
    this.ensureTables();
    this.ensureParams();
    this.db.execute(
      'UPDATE params SET value = ? WHERE name = ?',
      Object.entries(values).map(([name, value]) => [value, name]),
    );
    for (const sql of REBUILD_ANOMALIES) this.db.query(sql);
  }

  /**
   * Makes the thresholds table (docs/SCHEMA.md \`params\`, with its defaults where missing) if the anomalies step
   * has not made it yet: for whoever changes or copies thresholds before that step ran (a background build).
   */
  ensureParams(): void {
    this.db.query(CREATE_PARAMS.join(';\n'));
  }

  /** A query's whole result as one Arrow IPC stream (for Parquet export). */
  queryArrowIpc(sql: string): Uint8Array {
    this.ensureTables();
    return this.db.queryArrowIpc(sql);
  }

  /** Runs a query; rejects with DuckDB's message on error. */
  query(sql: string, maxRows = 100_000): QueryResult {
    this.ensureTables();
    return this.db.query(sql, maxRows);
  }

  /**
   * Runs a query and hands its rows over in batches of about `batchRows`, so
   * a large result never sits in memory (or crosses the worker boundary) whole.
   */
  queryStream(sql: string, batchRows = 10_000): AsyncGenerator<QueryResult> {
    this.ensureTables();
    return this.db.queryStream(sql, batchRows);
  }

  /**
   * The rows an input's column builders make room for at once: a batch (a batch is flushed after the chunk that
   * took it past flushRows, so room for that chunk too), or fewer for an input too small to hold a batch's events
   * (at the fewest bytes per event seen, a ping-pong archive's ~4). A batch's room for every raw table was ~460 MB
   * of buffers, ~0.1 s of CPU to allocate for the demo archive's 65 events; a builder that fills up grows.
   */
  private sinkRows(bytes: number): number {
    return Math.min(this.flushRows + (this.flushRows >> 3), Math.max(1024, Math.ceil(bytes / 4)));
  }

  /**
   * Whether a load holds the ingest tables the first view does not read back for after it (DEFERRED_RAW_TABLES).
   * DuckDB-WASM appends on the thread that decodes, so what it holds back is time the first view does not wait
   * for. Native DuckDB appends on a thread of its own while this one decodes the next batch: inserting them as
   * they come overlaps their appends with decoding, where holding them back put them after the last event (at
   * 1M ping-pong events ~2.5 s of appends in the analysis phase). It holds them back only for a command that
   * reads no table built from them (\`events\` and \`processes\` alone), which then never inserts them.
   */
  private holdsBack(options: LoadOptions): boolean {
    if (this.db.kind === 'wasm') return true;
    const ingest = this.builds.stepOf(DEFERRED_RAW_TABLES[0])!;
    return options.tables !== undefined && options.tables.every((t) => (this.builds.stepOf(t) ?? -1) < ingest);
  }

  /**
   * Native DuckDB compresses what was appended to the in-memory database when it checkpoints, which it does by
   * itself only after a commit big enough. Batches of every ingest table one after the other each stayed below that
   * (a 200k-event trace: ~24 MB of tables uncompressed against ~4.5 MB compressed), and the analysis steps then ran
   * out of a tight memory limit that they fit in with the tables compressed. A checkpoint that fails only leaves
   * them as they are.
   */
  private compressTables(): void {
    try {
      this.db.query('CHECKPOINT');
    } catch {
      // the tables stay uncompressed until DuckDB checkpoints by itself
    }
  }

  private flush(sink: EventSink): void {
    sink.drainEach((name, ipc) => {
      if (this.holdBack && DEFERRED.has(name)) {
        // The next table written to ipcOut goes over these bytes.
        this.held.push({ table: name, src: sink.src, ipc: ipc.slice() });
        this.heldBytes += ipc.length;
      } else this.insert(name, ipc);
    }, this.ipcOut);
    if (this.heldBytes > HOLD_BYTES) this.insertHeld();
  }

  private insert(table: string, ipc: Uint8Array): void {
    const t = performance.now();
    this.db.insertArrowIpc(table, ipc);
    this.insertMs += performance.now() - t;
  }

  /** Inserts the held-back batches (of one table, or all); each leaves the queue before it goes in, so none goes in twice. */
  private insertHeld(table?: string): void {
    const rest: typeof this.held = [];
    const take = this.held;
    this.held = rest;
    for (let i = 0; i < take.length; i++) {
      const h = take[i];
      if (table !== undefined && h.table !== table) {
        rest.push(h);
        continue;
      }
      this.heldBytes -= h.ipc.length;
      try {
        this.insert(h.table, h.ipc);
      } catch (e) {
        // What was not tried stays held (a later build step tries again).
        rest.push(...take.slice(i + 1));
        throw e;
      }
    }
  }

  /** What the database holds in memory (DuckDB's own accounting), for the memory figures and the "too big" guard. */
  memory(): { duckdbBytes: number; wasmBytes: number } {
    const [[bytes]] = this.db.query('SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory()').rows;
    return { duckdbBytes: Number(bytes), wasmBytes: this.db.wasmBytes() };
  }

  /** checkOrder for a chunk of columns: within it node and src are one, so ts compares as its relative numbers. */
  private checkOrderColumns(c: EventColumns, node: string, src: number): void {
    if (c.n === 0) return;
    const rel = c.tsRel;
    const ord = c.order;
    this.checkOrder(c.tsBase + BigInt(rel[0]), node, src, ord[0]);
    for (let i = 1; i < c.n && !this.outOfOrder; i++) if (rel[i] < rel[i - 1] || (rel[i] === rel[i - 1] && ord[i] < ord[i - 1])) this.outOfOrder = true;
    const k = this.lastKey!;
    k.ts = c.tsBase + BigInt(rel[c.n - 1]);
    k.ord = ord[c.n - 1];
  }

  /** Notes whether events still arrive in (ts, node, src, ord) order. */
  private checkOrder(ts: bigint, node: string, src: number, ord: number): void {
    const k = this.lastKey;
    if (k === null) {
      this.lastKey = { ts, node, src, ord };
      return;
    }
    if (!this.outOfOrder && (ts < k.ts || (ts === k.ts && (node < k.node || (node === k.node && (src < k.src || (src === k.src && ord < k.ord)))))))
      this.outOfOrder = true;
    k.ts = ts;
    k.node = node;
    k.src = src;
    k.ord = ord;
  }

  /** Puts seq back in (ts, node, src, ord) order when a load merged sources or met events out of order. */
  private resequence(): void {
    if (!this.outOfOrder) return;
    // The renumbering updates every ingest table's seq: the held-back rows go in first.
    this.insertHeld();
    for (const sql of resequenceEvents(this.resequenceBounds())) {
      if (this.store && /^DROP TABLE reseq/.test(sql)) applyResequence(this.db, this.store);
      this.db.query(sql);
    }
    this.outOfOrder = false;
    // The next file's events must come after the last event in the new order to keep it.
    const last = this.db.query('SELECT ts, node, src, ord FROM events_raw ORDER BY seq DESC LIMIT 1').rows[0];
    this.lastKey = last ? { ts: BigInt(last[0] as bigint | number), node: String(last[1]), src: Number(last[2]), ord: Number(last[3]) } : null;
  }

  /**
   * Where DuckDB-WASM cuts the renumbering of a big load into ranges of timestamps (sql/build.ts resequenceEvents):
   * about one range of events each, by approximate quantiles of \`ts\` (any ascending cuts number the same).
   */
  private resequenceBounds(): bigint[] {
    const parts = Math.ceil(this.totalEvents / this.rangeEvents);
    if (this.db.kind !== 'wasm' || parts <= 1) return [];
    const qs = Array.from({ length: parts - 1 }, (_, i) => ((i + 1) / parts).toFixed(6)).join(', ');
    const rows = this.db.query(`SELECT DISTINCT b FROM (SELECT unnest(approx_quantile(ts, [${qs}]))::BIGINT AS b FROM events_raw) ORDER BY b`).rows;
    return rows.map((r) => BigInt(r[0] as bigint | number));
  }

  /** SQL statements of a step as one query (a small load, table-builds.ts \`together\`); each is reported with an even share of its time. */
  private runBuildStatements(all: readonly string[]): { sql: string; ms: number }[] {
    const sqls = all.filter((sql) => !this.skippedKinds.has(sql));
    if (sqls.length === 0) return [];
    const t = performance.now();
    // Each on its own line, so a statement's trailing line comment cannot swallow the separator.
    this.db.query(sqls.flatMap((sql) => this.inRanges(sql)).join('\n;\n'));
    const ms = (performance.now() - t) / sqls.length;
    return sqls.map((sql) => ({ sql: sql.trim().split('\n')[0].slice(0, 80), ms }));
  }

  /**
   * A build statement as DuckDB-WASM runs it: a big table one range of events at a time, or one part of its key's
   * values at a time, as many parts as ranges (sql/event-ranges.ts); mailbox_depth one range of timestamps at a time.
   */
  private inRanges(sql: string): string[] {
    if (this.db.kind !== 'wasm') return [sql];
    if (sql === BUILD_MAILBOX_DEPTHS) return mailboxDepthInRanges(this.totalEvents, this.rangeEvents);
    if (sql === BUILD_CAUSAL_LINKS_TABLE) return causalLinksInRanges(this.totalEvents, this.rangeEvents);
    const key = BUILD_IN_EVENT_RANGES.get(sql);
    if (key !== undefined) return inEventRanges(sql, key, this.totalEvents, this.rangeEvents);
    const part = BUILD_IN_KEY_PARTS.get(sql);
    return part === undefined ? [sql] : inKeyParts(sql, part, Math.ceil(this.totalEvents / this.rangeEvents));
  }

  /** One statement of the build (sql/build.ts BUILD_STEPS), or the streaming pass where it stands in for some. */
  private runBuildStatement(sql: string | symbol): { sql: string; ms: number }[] {
    if (sql === STREAM_STEP) {
      this.stream = runStreamAnalyses(this.db, this.store!, '');
      return this.stream.steps;
    }
    if (sql === STREAM_MAILBOX_STEP) return this.stream!.mailboxDepth();
    if (sql === GUARD_STEP) {
      const t = performance.now();
      this.skippedKinds = skippedKinds(this.db.query(ANOMALY_GUARDS).rows[0] ?? []);
      return [{ sql: 'SELECT (the anomaly kinds that may have rows)', ms: performance.now() - t }];
    }
    if (typeof sql === 'string' && this.skippedKinds.has(sql)) return [];
    const held = typeof sql === 'symbol' ? INSERT_DEFERRED.get(sql) : undefined;
    if (held !== undefined) {
      const t = performance.now();
      this.insertHeld(held);
      return [{ sql: `INSERT INTO ${held} (held back for after the first view)`, ms: performance.now() - t }];
    }
    if (sql === STREAM_BESIDE) {
      const beside = runStreamAnalyses(this.db, this.store!, 'stream_');
      this.db.query(signalSenders('stream_messages'));
      this.db.query(markDroppedReplies('stream_messages'));
      for (const q of markInDrop('stream_messages')) this.db.query(q);
      for (const q of markSpansInDrop('stream_spans')) this.db.query(q);
      return [...beside.steps, ...beside.mailboxDepth()];
    }
    if (typeof sql !== 'string') return [];
    const t = performance.now();
    for (const q of this.inRanges(sql)) this.db.query(q);
    return [{ sql: sql.trim().split('\n')[0].slice(0, 80), ms: performance.now() - t }];
  }

  private async *readGroup(
    group: InputGroup,
    source: LoadedSource,
    sink: EventSink,
    limits: ReadLimits,
    options: LoadOptions,
    beforeEvents: (declared: number) => Promise<void>,
  ): AsyncGenerator<TraceBatch> {
    const { rawCharlists, eventObjects } = options;
    const opened = await openSource(group, { limits, rawCharlists, eventObjects, onWarning: (w) => source.warnings.push(w) });
    await beforeEvents(declaredEvents(group, opened.meta));
    source.warnings.push(...opened.warnings);
    const nodes = this.runs.sourceNodes(opened.node, opened.osPid === undefined ? opened.node : this.runs.nameOf(opened.node, opened.osPid));
    sink.useNodes(nodes);
    this.recordMeta(nodes.local(opened.node), group.name, opened.meta);
    this.recordSources(nodes.local(opened.node), group.name, opened.sources);
    yield { events: [], processes: opened.processes, trees: opened.trees, render: opened.render, bytesRead: 0 };
    for await (const batch of opened.batches) {
      source.node = nodes.local(opened.node);
      yield batch;
    }
    source.node = nodes.local(opened.node);
  }

  /** Whether two loaded files may hold events of one node (otherwise no two can overlap: overlapWarnings is not run). */
  private mayOverlap(): boolean {
    const nodes = [...this.srcFiles.values()].map((f) => f.node);
    return nodes.includes(null) || new Set(nodes).size < nodes.length;
  }

  /** Forgets every row of a file that failed to load (the raw tables all carry \`src\`). */
  private discard(src: number): void {
    this.deferred = [];
    this.held = this.held.filter((h) => h.src !== src);
    this.heldBytes = this.held.reduce((n, h) => n + h.ipc.length, 0);
    for (const [name] of RAW_TABLES) this.db.query(`DELETE FROM ${name} WHERE src = ${src}`);
  }

  /** Source files carried by an archive (`sources/<Module>.ex`), for the source view. */
  private recordSources(node: string, source: string, files: ModuleSource[]): void {
    if (files.length === 0) return;
    this.deferred.push(() => this.writeSources(node, source, files));
  }

  private recordMeta(node: string, source: string, kv: Record<string, string | null>): void {
    this.deferred.push(() => this.writeMeta(node, source, kv));
  }

  private writeSources(node: string, source: string, files: ModuleSource[]): void {
    const rows = files.map((f) => [source, node, f.path, f.file, f.module, f.text]);
    this.db.execute('INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?)', rows);
  }

  private writeMeta(node: string, source: string, kv: Record<string, string | null>): void {
    this.db.execute(
      'INSERT INTO meta VALUES (?, ?, ?, ?)',
      Object.entries(kv).map(([k, v]) => [k, v, node, source]),
    );
  }
}

class CancelledError extends Error {}

/** The empty tables a load fills (docs/SCHEMA.md's raw tables, meta, sources, params), as one query. */
const CREATE_TABLES = [
  ...RAW_TABLES.map(
    ([name, spec]) =>
      `CREATE TABLE ${name} (${Object.entries(spec)
        .map(([c, t]) => `"${c}" ${SQL_TYPES[t]}`)
        .join(', ')})`,
  ),
  `CREATE TABLE meta (key VARCHAR, value VARCHAR, node VARCHAR, source VARCHAR)`,
  `INSERT INTO meta VALUES ('schema_version', '${SCHEMA_VERSION}', NULL, NULL)`,
  `CREATE TABLE sources (source VARCHAR, node VARCHAR, path VARCHAR, file VARCHAR, module VARCHAR, text VARCHAR)`,
  // Not the thresholds (params): the anomalies step makes them, or ensureParams when they are needed before it.
].join(';\n');

/**
 * How many events an input holds, before reading them: an archive's own count (totals.json), else its size at
 * the fewest bytes per event seen (a ping-pong archive ~4 B, raw dbg ~150 B), so a big input is never taken for small.
 */
function declaredEvents(group: InputGroup, meta: Record<string, string | null>): number {
  const written = Number(meta['totals.events_written']);
  if (Number.isFinite(written) && written > 0) return written;
  return Math.round(group.bytes / (group.kind === 'otpscope' ? 4 : 100));
}

/** Where the streaming tables are written beside the SQL ones (analyses \`both\`). */
const STREAM_BESIDE = Symbol('stream tables beside');

/** SHA-256 (hex) of an input's content; a wrap set or ttb folder (several files) hashes its files' digests, in any order. */
async function contentHash(files: InputFile[]): Promise<string> {
  const one = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let digest = files.length === 1 ? await one(files[0].bytes) : null;
  if (digest === null) {
    const parts = (await Promise.all(files.map((f) => one(f.bytes)))).sort(compareBytes);
    const all = new Uint8Array(parts.length * 32);
    parts.forEach((p, i) => all.set(p, i * 32));
    digest = await one(all);
  }
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The table a build statement makes, as users know it (the steps' temporary tables go by the table they build). */
function stepName(sql: string): string {
  const m = /\b(?:TABLE|VIEW|MACRO)\s+(?:IF NOT EXISTS\s+)?(\w+)|^\s*(?:UPDATE|INSERT INTO)\s+(\w+)/i.exec(sql);
  const name = m?.[1] ?? m?.[2] ?? 'tables';
  return name
    .replace(/^msg_\w+$/, 'messages')
    .replace(/^anomalies_\w+$/, 'anomalies')
    .replace(/^state_n$/, 'states')
    .replace(/^mailbox_[dk]$/, 'mailbox_depth')
    .replace(/^named_sends$/, 'send_targets');
}

/** How the load reports a file or the analysis that ran out of memory (below). */
const OUT_OF_MEMORY_ERROR = /too big to load here: DuckDB ran out of memory|could not be built: DuckDB ran out of memory/;

function isOutOfMemory(message: string): boolean {
  // A commit that cannot get a block says "could not allocate block" instead of naming memory.
  return /out of memory|Aborted\(OOM\)|Cannot enlarge memory|could not allocate block/i.test(message);
}

/**
 * Passes a reader's batches through; a `TraceStoppedError` (the reader met a bad spot after yielding everything
 * before it) ends the batches normally and goes to `onStop`, so the caller keeps what was read.
 */
async function* untilStopped(batches: AsyncGenerator<TraceBatch>, onStop: (e: TraceStoppedError) => void): AsyncGenerator<TraceBatch> {
  try {
    yield* batches;
  } catch (e) {
    if (!(e instanceof TraceStoppedError)) throw e;
    onStop(e);
  }
}
