/**
 * A warm-up load of a small archive into a scratch database that nobody sees, made once the user shows they are
 * about to load (the page decides when: src/ui/App.svelte), not on every visit: it costs a few seconds of CPU.
 *
 * V8 compiles DuckDB-WASM's functions lazily, one by one on their first call, and a first load of even a tiny
 * archive calls ~3,000 of them for the first time (docs/PERFORMANCE.md "CompileLazy"): about half of what a
 * user waits for between picking a file and the Overview. Compiled code belongs to the module, so a load of a
 * small archive made while the user moves to a file compiles the same functions for the load that follows (a
 * file chosen in the browser's dialog usually comes after it; a drop cut short stops it, having compiled part),
 * and grows the wasm memory its statements allocate. It runs the load as the page does (background build, then
 * the Overview's first queries and every other table) on a second connection whose default database is an
 * in-memory database of its own (`WARM_UP_DATABASE`, compressed like the tables' own), so no
 * table, macro, source or meta row of it reaches the loaded tables, the SQL console or the views.
 *
 * It gives way: `stop` (a real load begins) makes the next statement the warm-up would run throw instead, so
 * the user's load waits at most for the statement already running (the worker is one thread, and a request is
 * taken between statements). Then, and when it is done, the scratch database is detached and its connection
 * closed: DuckDB's memory goes back (the wasm memory keeps its size, as it always does). Once stopped it never
 * runs again: after a real load there is nothing left to warm.
 */
import type { EngineConnection } from './duckdb/connection';
import { Engine, type InputFile } from './engine';
import { bindViews } from './views';

/** The scratch database's name: attached for the warm-up, detached after it. */
export const WARM_UP_DATABASE = 'otpscope_warm_up';

export interface WarmUpReport {
  /** `done`: every table built and the Overview asked; `stopped`: a real load came first; `skipped`: it came before the warm-up began. */
  outcome: 'done' | 'stopped' | 'skipped' | 'failed';
  /** Queries the warm-up ran (each a statement, or a small build step's statements as one). */
  statements: number;
  ms: number;
  /** Why it failed (outcome `failed`); the page goes on as without a warm-up. */
  error?: string;
}

class WarmUpStopped extends Error {
  constructor() {
    super('the warm-up gave way to a load');
    this.name = 'WarmUpStopped';
  }
}

export class WarmUp {
  private stopped = false;
  private running: Promise<WarmUpReport> | null = null;

  /** @param db the engine's connection: the warm-up opens its own beside it */
  constructor(private readonly db: EngineConnection) {}

  /** Runs the warm-up over `files` once (a second call answers the first's report); skipped after `stop`. */
  run(files: InputFile[]): Promise<WarmUpReport> {
    return (this.running ??= this.stopped ? Promise.resolve({ outcome: 'skipped', statements: 0, ms: 0 }) : this.load(files));
  }

  /** A real load begins: the warm-up runs no further statement, and none ever again. */
  stop(): void {
    this.stopped = true;
  }

  private async load(files: InputFile[]): Promise<WarmUpReport> {
    const started = performance.now();
    let statements = 0;
    const own = this.db.connect();
    const guarded = giveWay(own, () => {
      if (this.stopped) throw new WarmUpStopped();
      statements++;
    });
    let attached = false;
    try {
      guarded.query(`ATTACH ':memory:' AS ${WARM_UP_DATABASE} (COMPRESS); USE ${WARM_UP_DATABASE}`);
      attached = true;
      const engine = await Engine.create(guarded);
      // As the page loads: the first view's tables, the Overview's and the process list's queries while the
      // others build, then every table and the whole Overview.
      const report = await engine.load(files, undefined, { background: true, storage: 'memory' });
      if (this.stopped) throw new WarmUpStopped();
      if (report.sources.length === 0) throw new Error(report.errors[0]?.message ?? 'nothing was loaded');
      const views = bindViews(
        async (sql, maxRows) => engine.query(sql, maxRows),
        (tables) => engine.ready(tables),
      );
      await views.overviewFirst();
      await views.processList();
      await engine.ready();
      await views.overview();
      return { outcome: 'done', statements, ms: performance.now() - started };
    } catch (e) {
      const stopped = this.stopped || e instanceof WarmUpStopped;
      return {
        outcome: stopped ? 'stopped' : 'failed',
        statements,
        ms: performance.now() - started,
        ...(stopped ? {} : { error: e instanceof Error ? e.message : String(e) }),
      };
    } finally {
      this.stopped = true;
      // Its temporary tables go with the connection; its tables, macros and rows with the database.
      try {
        if (attached) own.query(`USE memory; DETACH ${WARM_UP_DATABASE}`);
      } finally {
        own.close();
      }
    }
  }
}

/** `conn`, with `before` called before each statement it would run (it throws to refuse the statement). */
function giveWay(conn: EngineConnection, before: () => void): EngineConnection {
  return {
    kind: conn.kind,
    version: conn.version,
    wasm: conn.wasm,
    query(sql, maxRows) {
      before();
      return conn.query(sql, maxRows);
    },
    post(sql) {
      before();
      conn.post(sql);
    },
    execute(sql, params) {
      before();
      conn.execute(sql, params);
    },
    insertArrowIpc(table, ipc) {
      before();
      conn.insertArrowIpc(table, ipc);
    },
    queryArrowIpc(sql) {
      before();
      return conn.queryArrowIpc(sql);
    },
    queryStream(sql, batchRows) {
      before();
      return conn.queryStream(sql, batchRows);
    },
    wasmBytes: () => conn.wasmBytes(),
    connect: () => {
      throw new Error('the warm-up uses one connection');
    },
    close: () => {},
  };
}
