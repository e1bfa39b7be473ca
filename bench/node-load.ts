/**
 * Node side: the CLI's engine (DuckDB-WASM Node blocking build) loading the
 * cached archives, side by side with the Arrow IPC floor; memory per event;
 * the query figures on the loaded 1M-event engine.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadVsFloor, median } from './core/load-run';
import { openNodeBenchDb } from './node/open-db';
import type { Engine } from '../src/engine/engine';

export async function nodeLoad(file: string, runs: number, log: (s: string) => void) {
  const bytes = new Uint8Array(readFileSync(file));
  const heap0 = process.memoryUsage();
  const r = await loadVsFloor(openNodeBenchDb, { name: path.basename(file), bytes }, runs, log);
  globalThis.gc?.();
  const heap1 = process.memoryUsage();
  const { keep, ...figures } = r;
  return {
    figures: {
      ...figures,
      archiveBytes: bytes.length,
      eventsPerSecond: r.events / (r.totalMs / 1000),
      // JS heap still held after the load (the engine keeps little: rows live in wasm) plus the wasm linear memory.
      jsHeapBytes: Math.max(0, heap1.heapUsed - heap0.heapUsed),
      bytesPerEvent: (Math.max(0, heap1.heapUsed - heap0.heapUsed) + r.wasmBytes) / r.events,
    },
    engine: keep.engine,
    close: () => keep.bdb.db.close(),
  };
}

function scalar(engine: Engine, sql: string): unknown {
  return engine.query(sql, 1).rows[0]?.[0] ?? null;
}

function exists(engine: Engine, kind: 'table' | 'macro', name: string): boolean {
  const sql =
    kind === 'table'
      ? `SELECT count(*) FROM duckdb_tables() WHERE table_name = '${name}' UNION ALL SELECT count(*) FROM duckdb_views() WHERE view_name = '${name}'`
      : `SELECT count(*) FROM duckdb_functions() WHERE function_name = '${name}'`;
  return engine.query(sql).rows.some((r) => Number(r[0]) > 0);
}

export interface QueryFigure {
  name: string;
  ms: number | null;
  rows: number | null;
  note: string;
}

/** Times each query (median of `runs`, after one warm-up); missing tables or macros are "n/a (not built)". */
export async function timeQueries(engine: Engine, runs: number): Promise<QueryFigure[]> {
  let anomalySteps: string[] | undefined;
  try {
    const m = (await import('../src/engine/sql/anomalies')) as Record<string, unknown>;
    const steps = Object.entries(m).find(([k, v]) => /^BUILD_ANOMALIES/.test(k) && Array.isArray(v))?.[1];
    if (Array.isArray(steps)) anomalySteps = steps as string[];
  } catch {
    /* not built yet */
  }
  const tMin = Number(scalar(engine, 'SELECT min(ts) FROM events'));
  const tMax = Number(scalar(engine, 'SELECT max(ts) FROM events'));
  const mid = Math.round((tMin + tMax) / 2);
  // A receive in the middle of the trace: its causes go back through sends and receives.
  const midSeq = Number(scalar(engine, `SELECT min(seq) FROM events WHERE kind = 'receive' AND seq >= (SELECT max(seq) // 2 FROM events)`));
  const specs: { name: string; needs: [kind: 'table' | 'macro', name: string][]; sql: string | string[] }[] = [
    { name: 'state_at(t)', needs: [['macro', 'state_at']], sql: `SELECT * FROM state_at(${mid})` },
    { name: 'mailbox_at(t)', needs: [['macro', 'mailbox_at']], sql: `SELECT * FROM mailbox_at(${mid})` },
    { name: 'alive_at(t)', needs: [['macro', 'alive_at']], sql: `SELECT * FROM alive_at(${mid})` },
    { name: 'causal chain (causes of a receive)', needs: [['macro', 'causes']], sql: `SELECT * FROM causes(${midSeq})` },
    {
      name: 'anomalies pass (rebuild all anomaly tables)',
      needs: [['table', 'anomalies']],
      sql: anomalySteps ?? [],
    },
    {
      name: 'calls latency aggregate',
      needs: [['table', 'calls']],
      sql: `SELECT callee_pid, count(*) AS n, quantile_cont(latency_ns, 0.5) AS p50, quantile_cont(latency_ns, 0.99) AS p99, max(latency_ns) AS max FROM calls GROUP BY callee_pid ORDER BY n DESC`,
    },
  ];
  const out: QueryFigure[] = [];
  for (const s of specs) {
    const missing = s.needs.filter(([k, n]) => !exists(engine, k, n));
    if (Array.isArray(s.sql) && s.sql.length === 0) missing.push(['table', 'BUILD_ANOMALIES steps']);
    if (missing.length > 0) {
      out.push({ name: s.name, ms: null, rows: null, note: `n/a (not built: ${missing.map((m) => m[1]).join(', ')})` });
      continue;
    }
    try {
      let rows = 0;
      const times: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const t0 = performance.now();
        for (const sql of Array.isArray(s.sql) ? s.sql : [s.sql]) rows = engine.db.query(sql, 0).totalRows;
        const ms = performance.now() - t0;
        if (i > 0) times.push(ms);
      }
      out.push({ name: s.name, ms: median(times), rows, note: '' });
    } catch (e) {
      out.push({ name: s.name, ms: null, rows: null, note: `error: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` });
    }
  }
  return out;
}

/** Each derived-table statement of the engine's rebuild, timed alone (where the "analysing" time goes). */
export async function timeRebuildSteps(engine: Engine): Promise<{ table: string; ms: number }[]> {
  let steps: string[] = [];
  try {
    const m = (await import('../src/engine/sql/build')) as Record<string, unknown>;
    const all = (m.BUILD_ALL ?? m.BUILD_CORE) as string[] | undefined;
    if (Array.isArray(all)) steps = all;
  } catch {
    /* the module moved: no breakdown */
  }
  return steps.map((sql) => {
    const name = /(?:TABLE|VIEW|MACRO)\s+(?:IF NOT EXISTS\s+)?(\w+)/i.exec(sql)?.[1] ?? sql.trim().slice(0, 30);
    const t0 = performance.now();
    engine.db.query(sql, 0);
    return { table: name, ms: performance.now() - t0 };
  });
}
