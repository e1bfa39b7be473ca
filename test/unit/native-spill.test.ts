import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openNativeConnection } from '../../src/engine/duckdb/native-node';
import { Engine } from '../../src/engine/engine';
import { BUILD_STEPS } from '../../src/engine/sql/build';

// Native DuckDB holds the tables in an in-memory database, and past its memory limit it writes their blocks to
// its temp directory: a load bigger than the limit must still complete, with the same tables as a load without
// a limit. The input: the dbg ping-pong fixture's request/reply loop (8 events) repeated 25,000 times, timestamps
// moving on (200k events, ~28 MB of table data in DuckDB: bigger than the 16 MB limit, so it must spill).
const root = path.resolve(__dirname, '../..');

/** The fixture's first 12 frames (start-up), then its loop of frames 12-19 `loops` times, 1 µs apart. */
function pingPongTrace(loops: number): Uint8Array {
  const src = readFileSync(path.join(root, 'test/fixtures/dbg/pingpong.trace'));
  const frames: Uint8Array[] = [];
  for (let at = 0; at < src.length; at += 5 + src.readUInt32BE(at + 1)) frames.push(src.subarray(at, at + 5 + src.readUInt32BE(at + 1)));
  const head = frames.slice(0, 12);
  const loop = frames.slice(12, 20);
  const size = (fs: Uint8Array[]) => fs.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(size(head) + size(loop) * loops);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of head) (out.set(f, at), (at += f.length));
  // Each frame ends with its timestamp {MegaSecs, Secs, MicroSecs}: three INTEGER_EXT (tag 98, 4 bytes).
  const start = 1_795_323_259_160_750n;
  for (let k = 0; k < loops; k++)
    for (let j = 0; j < loop.length; j++) {
      out.set(loop[j], at);
      at += loop[j].length;
      const us = start + BigInt(k * loop.length + j);
      if (out[at - 15] !== 98 || out[at - 10] !== 98 || out[at - 5] !== 98) throw new Error(`frame ${12 + j} does not end with three INTEGER_EXT`);
      view.setInt32(at - 14, Number(us / 1_000_000_000_000n));
      view.setInt32(at - 9, Number((us / 1_000_000n) % 1_000_000n));
      view.setInt32(at - 4, Number(us % 1_000_000n));
    }
  return out;
}

const bytes = pingPongTrace(25_000);

/** Every table's row count, and a hash of every events row, after loading the trace into the events table. */
async function loadEvents(memoryLimit: string | undefined, spillUnder: string) {
  const db = await openNativeConnection({ memoryLimit, threads: 2, spillUnder });
  try {
    const engine = await Engine.create(db);
    const report = await engine.load([{ name: 'pingpong-200k.trace', bytes }], undefined, { tables: ['events'] });
    expect(report.errors).toEqual([]);
    const tables = db.query(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'otpscope' ORDER BY 1`).rows.map((r) => String(r[0]));
    const counts = Object.fromEntries(tables.map((t) => [t, Number(db.query(`SELECT count(*) FROM ${t}`).rows[0][0])]));
    // Each column's sum of (seq, value) hashes: the same rows, whatever their order, without a sort under the
    // limit (one column at a time: a scan of every column at once pins more blocks than the limit holds).
    const columns = db
      .query(`SELECT column_name FROM duckdb_columns() WHERE database_name = 'otpscope' AND table_name = 'events'`)
      .rows.map((r) => String(r[0]));
    const events = columns.map((c) => `${c}=${db.query(`SELECT sum(hash(seq, "${c}")) FROM events`).rows[0][0]}`).join(' ');
    const spilled = Number(db.query('SELECT coalesce(sum(temporary_storage_bytes), 0) FROM duckdb_memory()').rows[0][0]);
    return { events: report.events, counts, hash: events, spilled };
  } finally {
    db.close();
  }
}

describe('native DuckDB past its memory limit', () => {
  const temp = mkdtempSync(path.join(tmpdir(), 'otpscope-spill-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  test('a load bigger than the memory limit spills to the temp directory and gives the same tables', async () => {
    const free = await loadEvents(undefined, temp);
    const tight = await loadEvents('16MB', temp);
    expect(free.events).toBe(200_010);
    expect(free.spilled).toBe(0);
    expect(tight.spilled).toBeGreaterThan(4 * 2 ** 20);
    expect(tight.counts).toEqual(free.counts);
    expect(tight.counts.events_raw).toBe(200_010);
    expect(tight.hash).toBe(free.hash);
    // Each database's spill directory went with it.
    expect(readdirSync(temp)).toEqual([]);
  });

  /** Every table's row count and hash (of its rows in any order) after a load that built every analysis table. */
  async function loadAll(memoryLimit: string | undefined) {
    const db = await openNativeConnection({ memoryLimit, threads: 1, spillUnder: temp });
    try {
      const engine = await Engine.create(db);
      const report = await engine.load([{ name: 'pingpong-200k.trace', bytes }]);
      expect(report.errors).toEqual([]);
      // causal_links is built on first use
      expect(engine.query('SELECT count(*) AS n FROM causal_links').rows).toEqual([[200_010]]);
      const tables = db.query(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'otpscope' ORDER BY 1`).rows.map((r) => String(r[0]));
      const hashes = Object.fromEntries(
        tables.map((t) => [t, String(db.query(`SELECT count(*) || ' ' || coalesce(sum(hash(r)), 0) FROM (SELECT t AS r FROM "${t}" t)`).rows[0][0])]),
      );
      return { hashes, tables };
    } finally {
      db.close();
    }
  }

  // Regression test for the analysis build running out of memory past DuckDB's limit (1M ping-pong events under
  // 100 MB failed in "messages"): DuckDB spills one hash join per pipeline, so each build statement holds one big join.
  // On one thread, under 40 MB this load's build spills (OTPSCOPE_THREADS=1 bench/spill-steps.ts: 1-5 MiB in the temp
  // directory from "messages" to "mailbox_depth"), and the builds of before those statements were split run out of
  // memory ("messages" before 0141c67, "spans" before 17163e1; 32-40 MB). What it spilled is gone by the end, so the
  // test holds the tables to the ones built without a limit. One thread: with two, how much of a hash table or sort
  // each thread holds at once depends on how the threads interleave, so a limit two threads fit on an idle machine
  // they can miss on a busy one.
  test('every analysis table builds under a memory limit it has to spill past, the same as without a limit', async () => {
    const free = await loadAll(undefined);
    const tight = await loadAll('40MB');
    for (const step of BUILD_STEPS) for (const t of step.makes) if (free.tables.includes(t)) expect(tight.tables).toContain(t);
    expect(tight.tables).toEqual(expect.arrayContaining(['messages', 'calls', 'spans', 'states', 'mailbox_depth', 'anomalies', 'causal_links']));
    expect(tight.hashes).toEqual(free.hashes);
  });

  test('analysis tables that do not fit say which step ran out of memory, and the events stay queryable', async () => {
    const db = await openNativeConnection({ memoryLimit: '16MB', threads: 2, spillUnder: temp });
    try {
      const engine = await Engine.create(db);
      const report = await engine.load([{ name: 'pingpong-200k.trace', bytes }]);
      expect(report.errors).toHaveLength(1);
      const step = /could not be built: DuckDB ran out of memory in the "([a-z_]+)" step with 200010 events loaded/.exec(report.errors[0].message)?.[1];
      expect(BUILD_STEPS.map((s) => s.name)).toContain(step);
      expect(engine.query('SELECT count(*) AS n FROM events').rows).toEqual([[200_010]]);
    } finally {
      db.close();
    }
  });

  test('the CLI takes --memory-limit and --temp-dir; the spill directory is made there and removed at the end', () => {
    const file = path.join(temp, 'pingpong-200k.trace');
    writeFileSync(file, bytes);
    const spill = mkdtempSync(path.join(temp, 'spill-'));
    // (Only the events table is built: a query that named DuckDB's catalog would build every table.)
    const sql = `SELECT count(*) AS n, current_setting('memory_limit') AS m, current_setting('temp_directory') AS t FROM events`;
    const r = spawnSync(process.execPath, [path.join(root, 'bin/otpscope.mjs'), 'query', file, '--memory-limit', '8MB', '--temp-dir', spill, sql, '--json'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const row = JSON.parse(r.stdout) as { n: number; m: string; t: string };
    expect(row.n).toBe(200_010);
    expect(row.m).toBe('7.6 MiB');
    expect(path.dirname(row.t)).toBe(spill);
    expect(existsSync(row.t)).toBe(false);
    const bad = spawnSync(process.execPath, [path.join(root, 'bin/otpscope.mjs'), 'query', file, '--memory-limit', 'plenty', 'SELECT 1'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--memory-limit: expected a size such as 4GB, 512MiB or 50%, got "plenty"/);
    const nowhere = spawnSync(process.execPath, [path.join(root, 'bin/otpscope.mjs'), 'query', file, '--temp-dir', path.join(temp, 'nowhere'), 'SELECT 1'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(nowhere.status).toBe(2);
    expect(nowhere.stderr).toBe(`otpscope: --temp-dir ${path.join(temp, 'nowhere')}: no such directory\n`);
  });
});
