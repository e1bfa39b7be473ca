import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Engine, type LoadReport } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';

// Loads archives recorded by test/scenarios/*.exs (record-all.sh) into a fresh engine.
// Re-recording changes pids and seqs: the tests' exact answers change with it.
const dir = new URL('../fixtures/scenarios/', import.meta.url);

export function scenarioBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, dir)));
}

export async function loadScenarioReport(...names: string[]): Promise<{ engine: Engine; report: LoadReport }> {
  const engine = await Engine.create(await openNodeDuckDb());
  const report = await engine.load(names.map((name) => ({ name, bytes: scenarioBytes(name) })));
  expect(report.errors).toEqual([]);
  return { engine, report };
}

export async function loadScenario(...names: string[]): Promise<Engine> {
  return (await loadScenarioReport(...names)).engine;
}

export const rows = (e: Engine, sql: string) => e.query(sql, 10_000).rows;
export const tsOf = (seq: number) => `(SELECT ts FROM events WHERE seq = ${seq})`;
