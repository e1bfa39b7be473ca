import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { main } from '../../src/cli/main';
import { EXPORT_TABLES } from '../../src/cli/export';

// Every command run with --engine wasm and --engine native on the committed fixtures must print the same bytes.
const root = path.resolve(__dirname, '../..');
const archives = readdirSync(path.join(root, 'test/fixtures/archives'))
  .filter((f) => f.endsWith('.zip'))
  .map((f) => `test/fixtures/archives/${f}`);
const scenario = (name: string) => fileURLToPath(new URL(`../fixtures/scenarios/${name}`, import.meta.url));

/** Runs the CLI in this process and returns what it printed (stdout and stderr apart) and its exit code. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = process.stdout.write.bind(process.stdout);
  const log = console.log;
  const error = console.error;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  console.log = (...a: unknown[]) => void (out += a.join(' ') + '\n');
  console.error = (...a: unknown[]) => void (err += a.join(' ') + '\n');
  const cwd = process.cwd();
  try {
    process.chdir(root);
    const code = await main(argv);
    return { code, out, err };
  } finally {
    process.chdir(cwd);
    process.stdout.write = write;
    console.log = log;
    console.error = error;
  }
}

async function bothEngines(...argv: string[]) {
  const wasm = await run(...argv, '--engine', 'wasm');
  const native = await run(...argv, '--engine=native');
  return { wasm, native };
}

describe('--engine wasm and --engine native give the same output', () => {
  test.each(archives)('summary %s', async (file) => {
    const { wasm, native } = await bothEngines('summary', file);
    expect(wasm.out).toMatch(/^source .*events by kind:/s);
    expect(native).toEqual(wasm);
  });

  const questions = [
    `SELECT kind, count(*) AS n, min(ts) AS first, sum(length(term)) AS chars FROM events GROUP BY kind ORDER BY kind`,
    `SELECT * FROM events ORDER BY seq LIMIT 50`,
    `SELECT * FROM messages ORDER BY send_seq NULLS LAST, recv_seq`,
    `SELECT * FROM anomalies ORDER BY anomaly_id`,
    `SELECT node, count(*) AS n, avg(state_size) AS mean_size FROM states GROUP BY ALL ORDER BY ALL`,
    `SELECT * FROM state_at((SELECT max(ts) FROM events)) ORDER BY ALL`,
    // (an instant a message waits in a mailbox: the first one taken later than it came)
    `SELECT * FROM mailbox_at((SELECT min(received_at) FROM messages WHERE taken_at > received_at)) ORDER BY ALL`,
  ];
  test.each(questions)('query over every archive (a glob): %s', async (sql) => {
    const { wasm, native } = await bothEngines('query', 'test/fixtures/archives/*.zip', sql, '--json');
    expect(wasm.out.length).toBeGreaterThan(0);
    expect(native).toEqual(wasm);
  });

  test('query --csv and the table layout, with --max-rows', async () => {
    for (const format of ['--csv', '--max-rows=7']) {
      const { wasm, native } = await bothEngines('query', archives[0], 'SELECT seq, ts, pid, kind, term FROM events ORDER BY seq', format);
      expect(native).toEqual(wasm);
    }
  });

  test('check', async () => {
    const { wasm, native } = await bothEngines('check', scenario('call-chain-timeout.zip'), '--expect', scenario('call-chain-timeout.expect.sql'));
    expect(wasm.code).toBe(1);
    expect(wasm.out).toMatch(/^PASS /);
    expect(native).toEqual(wasm);
  });

  // Recording B loads through a second connection of A's database: native DuckDB's thread serves several.
  test.each([[], ['--markdown'], ['--json', '--all', '--expect', 'p95 ratio < 1.5']])('compare %s', async (...flags) => {
    const { wasm, native } = await bothEngines('compare', scenario('compare-before.zip'), scenario('compare-after.zip'), ...flags);
    expect(wasm.out.length).toBeGreaterThan(0);
    expect(native).toEqual(wasm);
  });

  test('--engine picks the engine: DuckDB-WASM 1.4 or native DuckDB 1.5', async () => {
    const { wasm, native } = await bothEngines('query', archives[0], `SELECT version() AS v`, '--csv');
    expect(wasm.out).toMatch(/^v\nv1\.4\./);
    expect(native.out).toMatch(/^v\nv1\.5\./);
    expect((await run('query', archives[0], 'SELECT 1', '--engine', 'duck')).err).toMatch(/--engine duck: expected native or wasm/);
  });

  test('a bad SQL statement fails the same way', async () => {
    const { wasm, native } = await bothEngines('query', archives[0], 'SELECT nope FROM events');
    expect(wasm.code).toBe(2);
    expect(native.code).toBe(2);
    expect(native.err).toMatch(/query failed: Binder Error: .*"nope"/);
  });
});

describe('export --parquet', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** Every exported table read back in native DuckDB through the export's load.sql, rows in a fixed order. */
  async function readBack(dir: string): Promise<Record<string, string[][]>> {
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await conn.run(readFileSync(path.join(dir, 'load.sql'), 'utf8'));
      const out: Record<string, string[][]> = {};
      for (const t of EXPORT_TABLES) {
        out[t] = (await conn.runAndReadAll(`SELECT * FROM ${t} ORDER BY ALL`)).getRows().map((r) => r.map((v) => String(v)));
      }
      out['state_at'] = (await conn.runAndReadAll(`SELECT * FROM state_at((SELECT max(ts) FROM events)) ORDER BY ALL`))
        .getRows()
        .map((r) => r.map((v) => String(v)));
      return out;
    } finally {
      process.chdir(cwd);
    }
  }

  test('both engines write the same tables, partitioned by node, and load.sql runs the macros over them', async () => {
    const files = [scenario('cross-node-a.zip'), scenario('cross-node-b.zip')];
    const out = { wasm: '', native: '' };
    for (const kind of ['wasm', 'native'] as const) {
      out[kind] = mkdtempSync(path.join(tmpdir(), `otpscope-export-${kind}-`));
      dirs.push(out[kind]);
      const r = await run('export', ...files, '--parquet', out[kind], '--engine', kind);
      expect(r.code, r.err).toBe(0);
    }
    const events = readdirSync(path.join(out.native, 'events')).sort();
    expect(events.length).toBe(2);
    for (const d of events) expect(d).toMatch(/^node=.+%40.+$/);
    const wasm = await readBack(out.wasm);
    const native = await readBack(out.native);
    expect(wasm.events.length).toBeGreaterThan(0);
    expect(wasm.state_at.length).toBeGreaterThan(0);
    expect(native).toEqual(wasm);
  });
});
