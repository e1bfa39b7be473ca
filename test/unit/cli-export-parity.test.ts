import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { fileURLToPath } from 'node:url';
import { EXPORT_TABLES } from '../../src/cli/export';
import { main } from '../../src/cli/main';
import { REBUILD_ANOMALIES } from '../../src/engine/sql/anomalies';

// The same macro and anomaly SQL, run in native DuckDB over the files `otpscope export` wrote (through its
// load.sql), gives the answers DuckDB-WASM gives over the loaded trace.
const dir = new URL('../fixtures/scenarios/', import.meta.url);

const cell = (v: unknown) => (v === null || v === undefined ? null : String(v));

async function parity(files: string[], questions: string[]) {
  const engine = await Engine.create(await openNodeDuckDb());
  await engine.load(files.map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, dir))) })));
  const out = mkdtempSync(path.join(tmpdir(), 'otpscope-parquet-'));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await main(['export', ...files.map((f) => fileURLToPath(new URL(f, dir))), '--parquet', out, '--engine', 'wasm'])).toBe(0);
  } finally {
    log.mockRestore();
  }
  // The export's own load.sql makes the tables (views over the files) and the macros; relative paths, so run from there.
  const native = await (await DuckDBInstance.create(':memory:')).connect();
  const cwd = process.cwd();
  process.chdir(out);
  try {
    await native.run(readFileSync(path.join(out, 'load.sql'), 'utf8'));
    // Materialized, so that each query below reads the files once (and the anomaly rebuild can replace its tables).
    for (const t of EXPORT_TABLES) await native.run(`CREATE TABLE ${t}_t AS FROM ${t}; DROP VIEW ${t}; ALTER TABLE ${t}_t RENAME TO ${t}`);
  } finally {
    process.chdir(cwd);
  }
  // types survive the trip
  const types = async (t: string) =>
    (await native.runAndReadAll(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${t}' ORDER BY ordinal_position`))
      .getRows()
      .map((r) => r.map(cell));
  expect(await types('events')).toEqual(
    engine
      .query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'events' ORDER BY ordinal_position`)
      .rows.map((r) => r.map(cell)),
  );
  const wasmAnomalies = engine.query(`SELECT * FROM anomalies ORDER BY anomaly_id`).rows.map((r) => r.map(cell));
  const wasmEvidence = engine.query(`SELECT * FROM anomaly_events ORDER BY ALL`).rows.map((r) => r.map(cell));
  for (const sql of REBUILD_ANOMALIES) await native.run(sql);
  expect((await native.runAndReadAll(`SELECT * FROM anomalies ORDER BY anomaly_id`)).getRows().map((r) => r.map(cell))).toEqual(wasmAnomalies);
  expect((await native.runAndReadAll(`SELECT * FROM anomaly_events ORDER BY ALL`)).getRows().map((r) => r.map(cell))).toEqual(wasmEvidence);
  for (const q of questions) {
    const w = engine.query(q, 100_000).rows.map((r) => r.map(cell));
    const n = (await native.runAndReadAll(q)).getRows().map((r) => r.map(cell));
    expect(n, q).toEqual(w);
    expect(w.length, q).toBeGreaterThan(0);
  }
}

const at = (seq: number) => `(SELECT ts FROM events WHERE seq = ${seq})`;

describe('native DuckDB on exported Parquet gives the same answers', () => {
  it('call chain with a timeout', async () => {
    await parity(
      ['call-chain-timeout.zip'],
      [
        `SELECT * FROM state_at(${at(30)}) ORDER BY ALL`,
        `SELECT * FROM alive_at(${at(30)}) ORDER BY ALL`,
        `SELECT * FROM mailbox_at(${at(29)}) ORDER BY ALL`,
        `SELECT * FROM tree_at(${at(30)}) ORDER BY ALL`,
        `SELECT * FROM causes(42, 5)`,
        `SELECT * FROM effects(10, 3) ORDER BY ALL`,
      ],
    );
  }, 300_000);
  it('mailbox flood', async () => {
    await parity(['mailbox-flood.zip'], [`SELECT * FROM mailbox_at(${at(400)}) ORDER BY ALL`, `SELECT * FROM state_at(${at(400)}) ORDER BY ALL`]);
  }, 300_000);
  it('two nodes', async () => {
    await parity(
      ['cross-node-a.zip', 'cross-node-b.zip'],
      [
        `SELECT * FROM causes(24, 4)`,
        `SELECT * FROM effects(7, 2) ORDER BY ALL`,
        `SELECT * FROM links_at(${at(10)}) UNION ALL SELECT NULL, NULL, NULL, NULL, 0`,
      ],
    );
  }, 300_000);
});
