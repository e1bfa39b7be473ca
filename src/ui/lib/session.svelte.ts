import type { LoadOptions, LoadProgress, LoadReport, ReadLimits, StepProgress, StorageUsed } from '../../engine/engine';
import type { FirstView } from '../../engine/api';

/** A reader's refusal for a size ceiling (src/archive/zip.ts): "... raise the limit (CLI --max-entry-mb ...)". */
const LIMIT_ERROR = /raise the limit/;

const CHARLISTS_KEY = 'otpscope.rawCharlists';
/**
 * Where the engine puts the tables, from the address (`?storage=disk` or `memory`); else the engine decides
 * (`auto`: memory, or a database file on disk (OPFS) for an archive too big for it).
 */
export function storageParam(search: string): LoadOptions['storage'] {
  const v = new URLSearchParams(search).get('storage');
  return v === 'disk' || v === 'memory' ? v : 'auto';
}

function storedCharlists(): 'sigil' | 'quotes' {
  try {
    return localStorage.getItem(CHARLISTS_KEY) === 'quotes' ? 'quotes' : 'sigil';
  } catch {
    return 'sigil';
  }
}
import { readFiles, startEngine } from './engine-bridge';
import { formatDuration } from '../../engine/analyses/duration';

import type { ProcessRef } from '../../engine/views/state';
import type { Views } from '../../engine/views';

export type { ProcessRef };

/** A time window in ns since the epoch. */
export interface Window {
  start: bigint;
  end: bigint;
}

export const PANELS = [
  'overview',
  'processes',
  'timeline',
  'sequence',
  'state',
  'calls',
  'flame',
  'charts',
  'causality',
  'anomalies',
  'source',
  'sql',
  'expectations',
  'compare',
] as const;
export type Panel = (typeof PANELS)[number];

/**
 * The views a panel asks for as soon as a load answers, which the answer does not carry (its \`firstView\` does the
 * Overview's): the build behind waits for them before its first statement (LoadOptions.firstViews). The Timeline's
 * lanes, then its first tile, marks alone while the tables of spans and arrows are being built.
 */
const FIRST_ASKED: Partial<Record<Panel, readonly (keyof Views)[]>> = { timeline: ['timelineLanes', 'timelineMarks'] };

/**
 * The analyzer's shared state: what is loaded and what is selected. Every
 * view reads and writes selection here, so selecting a process, an event or
 * an instant in one view selects it everywhere; the URL hash mirrors it.
 */
export class Session {
  readonly bridge = startEngine().bridge;

  duckdbVersion = $state<string | null>(null);
  loading = $state(false);
  progress = $state.raw<LoadProgress | null>(null);
  /** The load in flight: when it began (performance.now()), and when each of its phases began. */
  loadClock = $state.raw<{ started: number; phases: Partial<Record<LoadProgress['phase'] | 'engine', number>> } | null>(null);
  /** performance.now() when the engine answered (null: still starting). */
  engineReadyAt = $state<number | null>(null);
  /**
   * The analysis tables' build steps and their states, from the latest load's
   * progress: after a load the views show as soon as events and processes are
   * in, and the other tables build behind them (\`building\`).
   */
  tables = $state.raw<StepProgress[] | null>(null);
  /**
   * The Overview's first part and the process list as the load answered them, for the generation they belong
   * to: the views show these instead of asking while the other tables build.
   */
  firstView = $state.raw<(FirstView & { generation: number }) | null>(null);
  /** Whether tables are being built behind the loaded views (the load itself has returned). */
  building = $state(false);
  /** performance.now() when the latest build began (the times in \`tables\` count from it). */
  buildStarted = $state<number | null>(null);
  /** Where the engine keeps the tables, as the latest load reported (null before any load). */
  storage = $state.raw<StorageUsed | null>(null);
  /** Every load's report, oldest first; errors from one load never erase earlier loads. */
  reports = $state.raw<LoadReport[]>([]);
  error = $state<string | null>(null);
  /** Files the latest load refused for a size ceiling, and the ceilings it used (session.loadOverLimit). */
  overLimit = $state.raw<{ files: File[]; limits: Partial<ReadLimits> } | null>(null);
  /** Increments after each completed load: views re-query when it changes. */
  generation = $state(0);
  /** The whole trace's span (null before anything is loaded). */
  span = $state.raw<Window | null>(null);

  /** Names of the loaded files, for the URL hash (a link reopens the view once the same archive is loaded). */
  archive = $state<string | null>(null);
  panel = $state<Panel>('overview');
  /** The panel a link's hash shows once a load is in (hash-sync.svelte.ts), until then; null without one. */
  linkedPanel = $state<Panel | null>(null);
  selectedProcess = $state.raw<ProcessRef | null>(null);
  /** Processes chosen for the sequence diagram and charts. */
  chosenProcesses = $state.raw<ProcessRef[]>([]);
  selectedSeq = $state<number | null>(null);
  cursor = $state<bigint | null>(null);
  /** Timeline lanes pinned to the top (`node|pid`, in pin order). */
  pinnedLanes = $state.raw<string[]>([]);
  /** Timeline groups folded to their header; null: the default (runtime and OTP groups folded). */
  foldedGroups = $state.raw<string[] | null>(null);
  /** Timeline lanes the user moved (`node|pid`): within its group, a listed lane comes first, in this order. */
  laneOrder = $state.raw<string[]>([]);
  /** The visible window of time-based views (timeline, charts). */
  view = $state.raw<Window | null>(null);
  /** Recording B's file names while comparing (the compare view), for the URL hash. */
  compareWith = $state<string | null>(null);
  /** The B a link named (`#b=`), until it is loaded. */
  compareWanted = $state<string | null>(null);
  /** Files chosen as recording B on the first screen, for the compare view to load once A is in. */
  compareFiles = $state.raw<File[] | null>(null);

  /**
   * A request to the timeline to zoom to the selection ("Show in the
   * timeline"); `id` grows with each request so the same selection can be
   * shown again after the user moved away.
   */
  focus = $state.raw<{ id: number } | null>(null);

  /** Opens the timeline zoomed to the selected event (or the selected process's life) with its lane in view. */
  showInTimeline(): void {
    this.panel = 'timeline';
    this.focus = { id: (this.focus?.id ?? 0) + 1 };
  }

  async start(): Promise<void> {
    try {
      this.duckdbVersion = await this.bridge.version();
      performance.mark('otpscope:version');
      this.engineReadyAt = performance.now();
    } catch (e) {
      this.error = `the engine failed to start: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** Whether the page asked for the warm-up (it runs once). */
  private warmingUp = false;

  /**
   * Once the user shows they are about to load (App.svelte): the engine loads the bundled demo into a scratch database nobody
   * sees, so that the user's first load finds DuckDB's code compiled (src/engine/warm-up.ts). A load that comes
   * meanwhile stops it; it shows nothing and leaves nothing. Not for a page that loads at once (?demo, ?url=).
   */
  async warmUp(): Promise<void> {
    if (this.duckdbVersion === null || this.loading || this.generation > 0 || this.warmingUp) return;
    this.warmingUp = true;
    try {
      const res = await fetch('./demo/demo.zip');
      if (!res.ok) return;
      const bytes = new Uint8Array(await res.arrayBuffer());
      await this.bridge.warmUp([{ name: 'demo.zip', bytes }]);
    } catch {
      // the first load compiles what it needs itself, as without a warm-up
    }
  }

  /** How raw dbg/ttb traces print charlists (archives follow their node's Elixir); kept across visits. */
  rawCharlists = $state<'sigil' | 'quotes'>(storedCharlists());

  setRawCharlists(v: 'sigil' | 'quotes'): void {
    this.rawCharlists = v;
    try {
      localStorage.setItem(CHARLISTS_KEY, v);
    } catch {
      // storage refused (private window, quota): the choice holds for this page
    }
  }

  async loadFiles(files: File[], options: LoadOptions = {}): Promise<LoadReport | null> {
    if (files.length === 0) return null;
    const report = await this.loadInputs(await readFiles(files), { rawCharlists: this.rawCharlists, ...options });
    // Files refused for a size ceiling (zip bombs) stay at hand, for "load again with higher limits".
    const over = report?.errors.filter((e) => LIMIT_ERROR.test(e.message)).map((e) => e.file) ?? [];
    this.overLimit = over.length > 0 ? { files: files.filter((f) => over.includes(f.name)), limits: options.limits ?? {} } : null;
    return report;
  }

  /** Loads the files refused for a size ceiling again, with both ceilings 4x (starting from 1 GiB per entry, 16 GiB per archive). */
  async loadOverLimit(): Promise<LoadReport | null> {
    const refused = this.overLimit;
    if (refused === null) return null;
    const raise = (current: number | undefined, first: number) => (current === undefined ? first : current * 4);
    const limits = { maxEntryBytes: raise(refused.limits.maxEntryBytes, 1024 ** 3), maxArchiveBytes: raise(refused.limits.maxArchiveBytes, 16 * 1024 ** 3) };
    return this.loadFiles(refused.files, { limits });
  }

  async loadInputs(inputs: { name: string; bytes: Uint8Array }[], options: LoadOptions = {}): Promise<LoadReport | null> {
    this.loading = true;
    this.error = null;
    this.progress = null;
    const started = performance.now();
    // Progress and the load's answer come through different channels: a 'done' may arrive before the answer.
    let doneSeen = false;
    this.loadClock = { started, phases: this.engineReadyAt === null ? { engine: started } : {} };
    try {
      const report = await this.bridge.load(
        inputs,
        (p) => {
          if (p.tables) this.tables = p.tables;
          // The build's times count from its start: the first analysing report of this load.
          if (p.phase === 'analysing' && this.loadClock?.started === started && this.loadClock.phases.analysing === undefined)
            this.buildStarted = performance.now();
          // After the load returned, the build behind it reports here too (and a table built on first use later).
          if (p.phase === 'building' || p.phase === 'done') {
            this.building = p.phase === 'building';
            if (p.phase === 'done') doneSeen = true;
            if (!this.loading) return;
          }
          this.progress = p;
          const clock = this.loadClock;
          if (clock && clock.started === started && clock.phases[p.phase] === undefined)
            this.loadClock = { started, phases: { ...clock.phases, [p.phase]: performance.now() } };
        },
        // The views show once events and processes are in; each waits for the other tables it reads.
        { background: true, storage: storageParam(location.search), firstViews: FIRST_ASKED[this.linkedPanel ?? this.panel], ...options },
      );
      this.reports = [...this.reports, report];
      this.storage = report.storage;
      if ((report.building?.length ?? 0) > 0 && !doneSeen) this.building = true;
      if (report.sources.length > 0) {
        this.archive = this.reports.flatMap((r) => r.sources.map((s) => s.name)).join('+');
        await this.refreshSpan(report.span);
        this.firstView = report.firstView ? { ...report.firstView, generation: this.generation + 1 } : null;
        this.generation++;
      }
      return report;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      return null;
    } finally {
      this.loading = false;
    }
  }

  /** Cancels the load in flight, or the tables still building behind the views (what is built stays). */
  cancelLoad(): void {
    void this.bridge.cancelLoad();
  }

  /** Builds tables a cancel left unbuilt (or built on first use), then has the views ask again. */
  async buildTables(tables: string[]): Promise<void> {
    try {
      await this.bridge.ready(tables);
    } finally {
      this.tables = await this.bridge.tables();
      this.generation++;
    }
  }

  /** Which of \`tables\` are not built yet, by the step (table) that builds them, with that step's state. */
  pendingTables(tables: readonly string[] | null): StepProgress[] {
    const all = this.tables;
    if (all === null) return [];
    return all.filter((s) => s.state !== 'ready' && (tables === null || s.makes.some((t) => tables.includes(t))));
  }

  selectProcess(p: ProcessRef | null): void {
    this.selectedProcess = p;
    if (p && !this.chosenProcesses.some((c) => c.node === p.node && c.pid === p.pid)) this.chosenProcesses = [...this.chosenProcesses, p];
  }

  /** Selects an event: also moves the cursor to it and selects its process. */
  selectEvent(seq: number, ts: bigint, process?: ProcessRef): void {
    this.selectedSeq = seq;
    this.cursor = ts;
    if (process) this.selectProcess(process);
  }

  setCursor(t: bigint | null): void {
    this.cursor = t;
  }

  setView(w: Window | null): void {
    this.view = w;
  }

  /** The trace's span: the one the load reported, else asked of the engine. */
  private async refreshSpan(known?: Window | null): Promise<void> {
    const span = known !== undefined ? known : await this.bridge.views.traceSpan();
    if (span === null) return;
    this.span = span;
    if (this.view === null) this.view = this.span;
  }
}

/** `a` and `b` name the same process. */
export function sameProcess(a: ProcessRef | null, b: ProcessRef | null): boolean {
  return a !== null && b !== null && a.node === b.node && a.pid === b.pid;
}

/** Formats a timestamp relative to the trace start, with a unit that fits. */
export function formatRelative(ts: bigint, start: bigint): string {
  const ns = Number(ts - start);
  const abs = Math.abs(ns);
  if (abs < 1e3) return `${ns} ns`;
  if (abs < 1e6) return `${(ns / 1e3).toFixed(abs < 1e4 ? 2 : 1)} µs`;
  if (abs < 1e9) return `${(ns / 1e6).toFixed(abs < 1e7 ? 3 : 2)} ms`;
  return `${(ns / 1e9).toFixed(3)} s`;
}

/** Durations as people write them (`5 s`, `41.6 µs`): the analyzer's one duration formatter. */
export { formatDuration };
