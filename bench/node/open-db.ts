/** DuckDB-WASM's Node blocking build as the engine opens it (src/engine/duckdb/open-node.ts), with its wasm memory size for the memory figures. */
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import type { BenchDb } from '../core/load-run';

export async function openNodeBenchDb(): Promise<BenchDb> {
  const db = await openNodeDuckDb();
  return { db, wasmBytes: () => db.wasmBytes() };
}
