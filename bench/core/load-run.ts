/**
 * The load measurements shared by the Node run and the Chromium bench worker:
 * the real Engine loading an archive (with its phases split by the progress
 * callback), and the floor: DuckDB-WASM ingesting the same `events_raw` rows
 * from a pre-built Arrow IPC stream. Environment-free: the caller opens DuckDB.
 */
import type { Table } from 'apache-arrow';
import { ColumnBuilder, type RowValue } from '../../src/engine/ingest/columns';
import { Engine, type InputFile } from '../../src/engine/engine';
import type { DuckDb } from '../../src/engine/duckdb/types';
import { EVENTS_RAW } from '../../src/engine/ingest/event-sink';

/** A DuckDB opened by the bench, with the size of its wasm linear memory. */
export interface BenchDb {
  db: DuckDb;
  wasmBytes(): number;
}

export interface LoadTiming {
  events: number;
  /** Bytes in to the 'analysing' progress event: read, decode, Arrow build and insert. */
  ingestMs: number;
  /** The SQL that builds every derived table (Engine.rebuild). */
  analyseMs: number;
  /** Bytes in to the first view's tables built (events, processes: what a page's Overview and process list wait for). */
  firstViewMs: number;
  totalMs: number;
  /** CPU time (user + system) to the first view and to every table, where the platform tells (Node); else NaN. */
  cpuFirstViewMs: number;
  cpuMs: number;
  wasmBytes: number;
  errors: string[];
}

export async function timeEngineLoad(open: () => Promise<BenchDb>, file: InputFile): Promise<{ timing: LoadTiming; engine: Engine; bdb: BenchDb }> {
  const bdb = await open();
  const engine = await Engine.create(bdb.db);
  const cpu = () => {
    const u = (globalThis as { process?: { cpuUsage(): { user: number; system: number } } }).process?.cpuUsage();
    return u === undefined ? NaN : (u.user + u.system) / 1000;
  };
  const c0 = cpu();
  const t0 = performance.now();
  let tAnalyse = NaN;
  let tFirst = NaN;
  let cFirst = NaN;
  const report = await engine.load([file], (p) => {
    if (p.phase === 'analysing' && Number.isNaN(tAnalyse)) tAnalyse = performance.now();
    if (Number.isNaN(tFirst) && p.tables?.find((t) => t.name === 'processes')?.state === 'ready') {
      tFirst = performance.now();
      cFirst = cpu();
    }
  });
  const t1 = performance.now();
  const c1 = cpu();
  return {
    timing: {
      events: report.events,
      ingestMs: tAnalyse - t0,
      analyseMs: t1 - tAnalyse,
      firstViewMs: tFirst - t0,
      totalMs: t1 - t0,
      cpuFirstViewMs: cFirst - c0,
      cpuMs: c1 - c0,
      wasmBytes: bdb.wasmBytes(),
      errors: report.errors.map((e) => e.message),
    },
    engine,
    bdb,
  };
}

const SQL_TYPES = { i64: 'BIGINT', i32: 'INTEGER', f64: 'DOUBLE', str: 'VARCHAR', bool: 'BOOLEAN' } as const;
export const EVENTS_RAW_DDL = `CREATE TABLE events_raw (${Object.entries(EVENTS_RAW)
  .map(([c, t]) => `"${c}" ${SQL_TYPES[t]}`)
  .join(', ')})`;

/** Rows per IPC stream: the engine's own flush size (engine.ts FLUSH_ROWS). */
const FLUSH_ROWS = 200_000;

/**
 * The `events_raw` rows of a loaded engine as Arrow IPC streams of at most
 * 200k rows each, built with the engine's own ColumnBuilder: exactly the
 * batches the engine hands DuckDB, minus the decoding that produced them.
 * (DuckDB-WASM's Node build bundles its own apache-arrow, so its result
 * tables cannot go through our tableToIPC.)
 */
export function eventsIpc(db: DuckDb): Uint8Array[] {
  const names = Object.keys(EVENTS_RAW);
  const out: Uint8Array[] = [];
  for (let off = 0; ; off += FLUSH_ROWS) {
    const t = db.conn.query(
      `SELECT ${names.map((n) => `"${n}"`).join(', ')} FROM events_raw ORDER BY src, ord LIMIT ${FLUSH_ROWS} OFFSET ${off}`,
    ) as unknown as Table;
    if (t.numRows === 0) break;
    const cols = names.map((n) => [...(t.getChild(n) ?? [])] as RowValue[]);
    const b = new ColumnBuilder(EVENTS_RAW);
    for (let i = 0; i < t.numRows; i++) b.push(...cols.map((c) => c[i]));
    out.push(b.toIPC());
    if (t.numRows < FLUSH_ROWS) break;
  }
  return out;
}

/** The floor: a fresh table, one insertArrowFromIPCStream of the pre-built stream. */
export async function timeFloor(open: () => Promise<BenchDb>, ipc: Uint8Array[]): Promise<{ ms: number; rows: number }> {
  const bdb = await open();
  bdb.db.conn.query(EVENTS_RAW_DDL);
  const t0 = performance.now();
  for (const chunk of ipc) bdb.db.conn.insertArrowFromIPCStream(chunk, { name: 'events_raw', create: false });
  const ms = performance.now() - t0;
  const rows = Number((bdb.db.conn.query('SELECT count(*) AS n FROM events_raw') as unknown as Table).getChildAt(0)?.get(0));
  bdb.db.close();
  return { ms, rows };
}

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/**
 * Side by side: engine load and floor alternate `runs` times (fresh databases
 * each), so noise on this shared machine hits both alike. The IPC stream is
 * built once from the first load's rows.
 */
export async function loadVsFloor(open: () => Promise<BenchDb>, file: InputFile, runs: number, onRun?: (s: string) => void) {
  const loads: LoadTiming[] = [];
  const floors: number[] = [];
  let ipc: Uint8Array[] | undefined;
  let rows = 0;
  let keep: { engine: Engine; bdb: BenchDb } | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await timeEngineLoad(open, file);
    loads.push(r.timing);
    onRun?.(`load ${i + 1}/${runs}: ${r.timing.totalMs.toFixed(0)} ms`);
    if (ipc === undefined) ipc = eventsIpc(r.bdb.db);
    if (i === runs - 1) keep = r;
    else r.bdb.db.close();
    const f = await timeFloor(open, ipc);
    floors.push(f.ms);
    rows = f.rows;
    onRun?.(`floor ${i + 1}/${runs}: ${f.ms.toFixed(0)} ms`);
  }
  const med = (k: keyof LoadTiming) => median(loads.map((l) => l[k] as number));
  return {
    events: loads[0].events,
    floorRows: rows,
    ipcBytes: (ipc ?? []).reduce((n, c) => n + c.length, 0),
    runs,
    totalMs: med('totalMs'),
    firstViewMs: med('firstViewMs'),
    cpuFirstViewMs: med('cpuFirstViewMs'),
    cpuMs: med('cpuMs'),
    ingestMs: med('ingestMs'),
    analyseMs: med('analyseMs'),
    floorMs: median(floors),
    ingestOverFloor: median(loads.map((l, i) => l.ingestMs / floors[i])),
    wasmBytes: Math.max(...loads.map((l) => l.wasmBytes)),
    errors: loads[0].errors,
    all: { totalMs: loads.map((l) => l.totalMs), ingestMs: loads.map((l) => l.ingestMs), floorMs: floors },
    keep: keep!,
  };
}
