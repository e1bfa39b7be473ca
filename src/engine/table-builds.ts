import type { BuildStep } from './sql/build';
import { yieldToEventLoop } from './yield';

/**
 * Which analysis tables are ready, and the one loop that builds them.
 *
 * After a load the engine builds the steps of sql/build.ts in order, one
 * statement at a time (a small load: a step's statements at once, see
 * \`together\`), and yields to the worker's event loop between them: queries
 * from the views are answered meanwhile. A view waits (`ready`) only for the
 * tables it reads; a table not yet scheduled (built on
 * first use, or left when a build was cancelled) is built when someone waits
 * for it. Each step may read every earlier step's tables but the on-use ones,
 * so building up to a step builds everything before it, except the steps no
 * later step reads (\`leaf\`): those are built with every step (a background
 * build, \`ready()\`) or when their own tables are asked for, not for a later
 * step's (the CLI's summary does not build links).
 *
 * `stop` (the user's cancel) ends the loop before its next statement: what is
 * built stays, the rest is built again on next use or by the next load, and
 * whoever waited for it is told it was cancelled. `pause` (a new load
 * begins) ends the loop too, but waiters keep waiting for the next build.
 */

/** The longest a background build's statement waits for the views' questions (\`giveWay\`): a page asking without pause cannot stall it. */
const MAX_GIVE_WAY_MS = 300;

export type TableState = 'waiting' | 'building' | 'ready' | 'on use' | 'stopped' | 'failed';

export interface StepProgress {
  /** The step's table, as users know it. */
  name: string;
  /** What it makes ready (tables, views, macros). */
  makes: readonly string[];
  state: TableState;
  /** When it was done, in ms since this build began. */
  doneAtMs?: number;
  error?: string;
}

/** A wait for a table the user's cancel left unbuilt; views show it as such, not as a failure. */
export class BuildCancelledError extends Error {
  constructor(table: string) {
    super(`building ${table} was cancelled; it is built when a view needs it again`);
    this.name = 'BuildCancelledError';
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  // A wait nobody awaits (a step built behind a load) must not count as an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export interface BuildHooks {
  /**
   * Runs one statement (or a symbol the engine knows) of a step, or several SQL statements of a step as one query
   * (see \`together\`); returns the timings to record.
   */
  run(sql: string | symbol | readonly string[], step: BuildStep): { sql: string; ms: number }[];
  /**
   * Whether a step's consecutive SQL statements run as one query (small loads): each query has a fixed cost
   * (a round trip, a plan, a result) that outweighs a statement over a few thousand rows. The loop then yields
   * between steps only, so it is for loads whose steps take milliseconds.
   */
  together?(): boolean;
  /** Called before each statement (or statements run as one) and after each step is done. */
  onChange?(statement: { name: string; sql: string | symbol | readonly string[]; index: number; count: number } | null): void;
}

export class TableBuilds {
  private readonly done: boolean[];
  private readonly failed: (Error | null)[];
  /** Each step's wait, made when someone waits for the step or it is scheduled. */
  private readonly waits: (Deferred | null)[];
  private readonly demanded = new Set<number>();
  private readonly byName = new Map<string, number>();
  /** Build every step up to this index (on-use steps only when demanded). */
  private target = -1;
  private generation = 0;
  private running: Promise<void> | null = null;
  private current = -1;
  private began = performance.now();
  private doneAt: (number | undefined)[];
  /** Whether a load is ingesting: nothing builds until it is done (`resume`). */
  private paused = false;
  /** Whether any step was ever asked for. */
  private asked = false;
  /** A pause before the next loop's first statement (background: the views' first queries go first). */
  private headStart = 0;
  /** Background builds: after a view's answer, how long the loop waits for the page's next query before a statement. */
  private viewGrace = 0;
  /** When a view last answered (performance.now()). */
  private lastView = -Infinity;
  /** Background builds: the views the page asks first, not yet answered; the first statement waits for them. */
  private firstViews = new Set<string>();
  private firstViewsIn: Deferred | null = null;
  /** The longest the first statement waits for \`firstViews\` (ms). */
  private firstViewsMaxMs = 0;
  /** Timings of the statements run since the last `reset` (a load's report). */
  steps: { sql: string; ms: number }[] = [];
  /** Statements run since the last `reset`, for the load's progress (index of count). */
  private statements = 0;
  /** `hold`: the loop waits before any step from this index until released. */
  private holdFrom: number | null = null;
  private holdGate: Deferred | null = null;

  constructor(
    private readonly plan: readonly BuildStep[],
    private readonly hooks: BuildHooks,
  ) {
    this.done = plan.map(() => false);
    this.failed = plan.map(() => null);
    this.waits = plan.map(() => null);
    this.doneAt = plan.map(() => undefined);
    plan.forEach((s, i) => s.makes.forEach((t) => this.byName.set(t, i)));
  }

  /** The step that makes `table` ready, or undefined for a table no step makes (a raw table, meta, sources). */
  stepOf(table: string): number | undefined {
    return this.byName.get(table);
  }

  /**
   * The tables (views, macros) a build step makes that \`sql\` names: what a user's query waits for. Words in
   * comments and string literals do not count (\`WHERE msg LIKE '%spans%'\` waits for no spans); a quoted
   * identifier counts by its text. A column alias that is also a table name still waits for it: waiting for a
   * table the query does not read only delays it, while missing one would run it on an unbuilt table.
   */
  namedIn(sql: string): string[] {
    return tablesNamedIn(sql, this.byName.keys());
  }

  /** Whether any step was ever asked for (the tables exist in some state). */
  get started(): boolean {
    return this.asked;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** New events are in: every table is out of date. Waiters keep waiting for the build that follows. */
  reset(): void {
    this.generation++;
    this.viewGrace = 0;
    this.firstViews.clear();
    this.firstViewsIn?.resolve();
    this.firstViewsIn = null;
    this.paused = false;
    this.target = -1;
    this.demanded.clear();
    this.began = performance.now();
    this.steps = [];
    this.statements = 0;
    for (let i = 0; i < this.plan.length; i++) {
      this.done[i] = false;
      this.failed[i] = null;
      this.doneAt[i] = undefined;
      // Whoever waits (also for a step built on use) is served by the build that follows.
      if (this.waits[i]) this.schedule(i);
    }
  }

  /** The load is in (nothing new came, or the analysis begins): what was asked for meanwhile may build. */
  resume(): void {
    this.paused = false;
    if (this.next() >= 0) this.kick();
  }

  /**
   * A load begins ingesting: the loop stops before its next statement and nothing builds until \`reset\` or
   * \`resume\` (statements over half-ingested events would be thrown away); waiters wait for the build after it.
   */
  pause(): void {
    this.generation++;
    this.paused = true;
    this.target = -1;
  }

  /** The user's cancel: the loop stops before its next statement; waiters for what is not built are told so. */
  stop(): void {
    if (this.paused) return;
    this.generation++;
    this.target = -1;
    this.demanded.clear();
    for (let i = 0; i < this.plan.length; i++) {
      const w = this.waits[i];
      if (w && !this.done[i]) {
        this.waits[i] = null;
        w.reject(new BuildCancelledError(this.plan[i].name));
      }
    }
    this.hooks.onChange?.(null);
  }

  /**
   * Resolves when the steps that make \`tables\` (default: every step) are
   * done, scheduling them and every step before them. Rejects with the
   * build's error when a step fails, or with BuildCancelledError when the
   * user cancels first.
   */
  ready(tables?: readonly string[]): Promise<void> {
    const indices =
      tables === undefined ? this.plan.map((_, i) => i) : [...new Set(tables.map((t) => this.byName.get(t)).filter((i): i is number => i !== undefined))];
    return this.want(indices);
  }

  /**
   * Keeps the steps from index \`from\` on from starting until \`hold(null)\`: a statement already running finishes,
   * and the loop waits before the next one of such a step (shown as waiting). For tests and demonstrations of a
   * load's progress, which otherwise depend on how fast the machine builds small tables.
   */
  hold(from: number | null): void {
    this.holdFrom = from;
    if (from === null) {
      this.holdGate?.resolve();
      this.holdGate = null;
    } else this.holdGate ??= deferred();
  }

  /**
   * Builds behind: every step that is not on use, without waiting; the first statement after \`headStartMs\`, and
   * each statement \`viewGraceMs\` after a view's last answer (\`viewAnswered\`): a view's answer is often followed by
   * the page's next question (the Timeline's lanes, then its first tile), which a statement of seconds would hold up.
   * With \`first\`, the views the page will ask first (by name, \`viewAnswered\`): the first statement waits until
   * each has answered once, at most \`first.maxMs\`, instead of the head start. A page opened on the Timeline asks
   * for its lanes only once it has drawn what the load answered (0.1 s of its main thread at 1M events on a quiet
   * machine, seconds on a busy one), and the head start could end before they came: they then waited for the
   * build's first statement (0.5-1 s at 1M).
   */
  background(headStartMs = 0, viewGraceMs = 0, first?: { views: readonly string[]; maxMs: number }): void {
    this.headStart = headStartMs;
    this.viewGrace = viewGraceMs;
    this.firstViews = new Set(first?.views);
    this.firstViewsMaxMs = first?.maxMs ?? 0;
    this.firstViewsIn = this.firstViews.size > 0 ? deferred() : null;
    this.want(this.plan.map((s, i) => (s.onUse ? -1 : i)).filter((i) => i >= 0)).catch(() => {});
  }

  private want(indices: number[]): Promise<void> {
    this.asked = true;
    const waits: Promise<void>[] = [];
    for (const i of indices) {
      if (this.done[i]) continue;
      const failed = this.failed[i] ?? this.failed.slice(0, i).find((f, k) => f !== null && !this.plan[k].onUse) ?? null;
      if (failed) return Promise.reject(failed);
      this.schedule(i);
      waits.push((this.waits[i] ??= deferred()).promise);
    }
    if (waits.length === 0) return Promise.resolve();
    if (!this.paused) this.kick();
    return Promise.all(waits).then(() => {});
  }

  /** A view answered (\`view\`: its name): a background build waits a moment for the page's next question (\`background\`). */
  viewAnswered(view?: string): void {
    this.lastView = performance.now();
    if (view !== undefined && this.firstViews.delete(view) && this.firstViews.size === 0) this.firstViewsIn?.resolve();
  }

  /** Waits while a view answered less than the grace ago, at most MAX_GIVE_WAY_MS in all (views asked in a stream). */
  private async giveWay(): Promise<void> {
    const until = performance.now() + MAX_GIVE_WAY_MS;
    for (;;) {
      const now = performance.now();
      const wait = Math.min(this.lastView + this.viewGrace, until) - now;
      if (wait <= 0) return;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private schedule(i: number): void {
    if (this.plan[i].onUse || this.plan[i].leaf) this.demanded.add(i);
    if (i > this.target) this.target = i;
  }

  /** Each step's state, for the progress panel. */
  progress(): StepProgress[] {
    return this.plan.map((s, i) => ({
      name: s.name,
      makes: s.makes,
      state: this.stateOf(i),
      doneAtMs: this.doneAt[i],
      error: this.failed[i]?.message,
    }));
  }

  /** The step whose statement failed (the first, when several did), for an error that says where. */
  failedStep(): string | undefined {
    const i = this.failed.findIndex((f) => f !== null);
    return i < 0 ? undefined : this.plan[i].name;
  }

  private stateOf(i: number): TableState {
    if (this.done[i]) return 'ready';
    if (this.failed[i]) return 'failed';
    const scheduled = i <= this.target && (!this.optional(i) || this.demanded.has(i)) && !this.paused;
    if (scheduled && i === this.current && this.running) return 'building';
    if (scheduled) return 'waiting';
    return this.plan[i].onUse ? 'on use' : 'stopped';
  }

  private next(): number {
    for (let i = 0; i <= this.target; i++) {
      if (this.done[i] || this.failed[i]) continue;
      if (this.optional(i) && !this.demanded.has(i)) continue;
      return i;
    }
    return -1;
  }

  private scheduled(i: number): boolean {
    return i <= this.target && !this.done[i] && !this.failed[i] && (!this.optional(i) || this.demanded.has(i));
  }

  /** Whether step \`i\` is built only when asked for by name (or with every step): on use, or read by no later step. */
  private optional(i: number): boolean {
    return this.plan[i].onUse === true || this.plan[i].leaf === true;
  }

  /** Statements run plus those still scheduled: the progress's count. */
  private countStatements(ranInCurrent: number): number {
    let n = this.statements - ranInCurrent;
    for (let i = 0; i < this.plan.length; i++) if (this.scheduled(i)) n += this.plan[i].sql.length;
    return n;
  }

  private kick(): void {
    if (this.running) return;
    const gen = this.generation;
    this.running = this.loop(gen).finally(() => {
      this.running = null;
      this.current = -1;
      // More was asked for while the loop finished (a wider target, or a newer build after a stop or a load).
      if (this.next() >= 0 && !this.paused) this.kick();
      else this.hooks.onChange?.(null);
    });
  }

  /** Whether \`background\` set a wait that the next statement has not yet waited. */
  private get headStartDue(): boolean {
    return this.headStart > 0 || this.firstViewsIn !== null;
  }

  /**
   * The wait \`background\` set, once: its head start, or until the views the page named answered. Before the next
   * statement, whether the loop starts or is already running: a load's first view is built by a loop that is still
   * going when the load answers (it goes on to the build behind), so a head start read only when a loop began never
   * applied.
   */
  private async waitHeadStart(): Promise<void> {
    const wait = this.headStart;
    const first = this.firstViewsIn;
    this.headStart = 0;
    if (first === null) {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([first.promise, new Promise((r) => (timer = setTimeout(r, Math.max(wait, this.firstViewsMaxMs))))]);
    clearTimeout(timer);
    if (this.firstViewsIn === first) {
      this.firstViews.clear();
      this.firstViewsIn = null;
    }
  }

  private async loop(gen: number): Promise<void> {
    // Whoever asked goes on first (a load returns "usable" before the rest starts).
    if (this.headStartDue) await this.waitHeadStart();
    else await yieldToEventLoop();
    if (gen !== this.generation && this.next() < 0) return;
    for (let i = this.next(); i >= 0 && gen === this.generation; i = this.next()) {
      if (this.headStartDue) {
        await this.waitHeadStart();
        if (gen !== this.generation) return;
        continue; // what is asked for may have changed meanwhile
      }
      while (this.holdGate !== null && this.holdFrom !== null && i >= this.holdFrom) {
        await this.holdGate.promise;
        if (gen !== this.generation) return;
      }
      this.current = i;
      const step = this.plan[i];
      // A step whose statements all ran is done even if a stop comes next; one stopped part-way runs again
      // from its first statement (each creates or replaces what it makes).
      for (let k = 0; k < step.sql.length;) {
        if (this.viewGrace > 0) {
          await this.giveWay();
          if (gen !== this.generation) return;
        }
        const n = this.runLength(i, k);
        if (!this.runStatement(i, k, n)) return;
        k += n;
        if (k === step.sql.length) this.finish(i);
        await yieldToEventLoop();
        if (gen !== this.generation) return;
      }
      if (step.sql.length === 0) this.finish(i);
    }
  }

  /** Builds every step now, without yielding (the first query before any load, in Node). */
  buildAllNow(): void {
    this.asked = true;
    this.generation++;
    this.paused = false;
    this.target = this.plan.length - 1;
    this.plan.forEach((s, i) => this.optional(i) && this.demanded.add(i));
    for (let i = this.next(); i >= 0; i = this.next()) {
      for (let k = 0, n = 0; k < this.plan[i].sql.length; k += n) if (!this.runStatement(i, k, (n = this.runLength(i, k)))) return;
      this.finish(i);
    }
  }

  /** How many statements of step \`i\` from \`k\` run as one: the SQL statements in a row when \`together\`, else one. */
  private runLength(i: number, k: number): number {
    const sql = this.plan[i].sql;
    if (typeof sql[k] !== 'string' || !this.hooks.together?.()) return 1;
    let n = 1;
    while (typeof sql[k + n] === 'string') n++;
    return n;
  }

  /**
   * Runs \`n\` statements of step \`i\` from \`k\`; false when it failed (the step and every later one are failed) or
   * was stopped before it ran.
   */
  private runStatement(i: number, k: number, n: number): boolean {
    const step = this.plan[i];
    const sql = n === 1 ? step.sql[k] : (step.sql.slice(k, k + n) as string[]);
    const gen = this.generation;
    this.hooks.onChange?.({ name: step.name, sql, index: this.statements, count: this.countStatements(k) });
    // A cancel (or a new load) from the progress just reported comes before this statement: it does not run.
    if (gen !== this.generation) return false;
    this.statements += n;
    try {
      this.steps.push(...this.hooks.run(sql, step));
      return true;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.failed[i] = error;
      // Steps after a failed one cannot be built: their waiters hear why.
      for (let j = i; j < this.plan.length; j++) {
        this.waits[j]?.reject(error);
        this.waits[j] = null;
      }
      this.target = -1;
      this.demanded.clear();
      return false;
    }
  }

  private finish(i: number): void {
    this.done[i] = true;
    this.doneAt[i] = performance.now() - this.began;
    this.waits[i]?.resolve();
    this.waits[i] = null;
    this.hooks.onChange?.(null);
  }
}

/** The names among \`tables\` that \`sql\` mentions as words outside its comments and string literals (see namedIn). */
export function tablesNamedIn(sql: string, tables: Iterable<string>): string[] {
  const words = new Set(
    withoutLiterals(sql)
      .toLowerCase()
      .match(/[a-z_][a-z0-9_]*/g) ?? [],
  );
  return [...tables].filter((t) => words.has(t));
}

/** \`sql\` with its comments and single-quoted string literals blanked out (quoted identifiers keep their text). */
function withoutLiterals(sql: string): string {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?(\*\/|$)|'(?:[^']|'')*('|$)/g, ' ');
}
