import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadFixtures, readFixture } from '../support/raw-fixtures';

// The CLI as a user runs it: bin/otpscope.mjs in a child process.
const root = path.resolve(__dirname, '../..');
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/otpscope.mjs'), ...args], { cwd: root, encoding: 'utf8' });

describe('npx otpscope summary and query', () => {
  test('--version prints the package version and the schema, from the bundle and from the TypeScript', () => {
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const schema = /export const SCHEMA_VERSION = (\d+);/.exec(readFileSync(path.join(root, 'src/engine/sql/build.ts'), 'utf8'))![1];
    const want = new RegExp(
      `^otpscope ${version.replace(/\./g, '\\.')} \\(SQL schema ${schema}, docs/SCHEMA\\.md; reads archive formats 1-\\d+, docs/FORMAT\\.md\\)\n$`,
    );
    for (const flag of ['--version', '-V']) {
      const r = cli(flag);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(want);
    }
    const ts = spawnSync(process.execPath, [path.join(root, 'bin/otpscope.mjs'), 'version'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, OTPSCOPE_CLI: 'ts' },
    });
    expect(ts.stdout).toMatch(want);
  });

  test('summary names the node, the kinds, the busiest processes and the top anomalies', () => {
    const r = cli('summary', 'test/fixtures/archives/crash.zip');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/source test\/fixtures\/archives\/crash\.zip: otpscope, node nonode@nohost, \d+ events/);
    expect(r.stdout).toMatch(/events by kind:\n\s+receive\s+\d+/);
    expect(r.stdout).toMatch(/busiest processes:\n\s+<0\.\d+\.\d+>/);
    expect(r.stdout).toMatch(/anomalies: [1-9]\d* \(most severe first\)\n\s+error\s+(crash|restart_loop)/);
  });

  // Regression test: a recording the recorder ended by itself at max_events summarised like a complete one (no drop
  // counts what came after), so nothing said that the workload went on unrecorded.
  test('summary says when the recorder stopped by itself, and not for a plain stop', () => {
    const cut = cli('summary', 'test/fixtures/scenarios/max-events.zip');
    expect(cut.status).toBe(0);
    expect(cut.stdout).toMatch(
      /dropped events on nonode@nohost: 0\nrecording on nonode@nohost stopped by max_events: nothing after its last event was recorded\n/,
    );
    expect(cli('summary', 'test/fixtures/archives/crash.zip').stdout).not.toMatch(/stopped by/);
  });

  // Regression test: the summary's drop count read only the recorder's totals.json, which no raw reader fills, so a
  // raw trace whose trace port dropped events (an ip trace port's stream kept in a file, ttb's {drop, N} terms) said
  // nothing of them. Each raw input is as OTP 25 and OTP 27 wrote it (test/fixtures/raw/gen.sh).
  test.each([
    ['raw/ip-drop.trace', 'raw_ip_gen@vm', 191],
    ['otp27/raw/ip-drop.trace', 'raw_ip_gen@vm', 191],
    ['raw/ttb-drop', 'raw_vars_gen@vm', 517],
    ['otp27/raw/ttb-drop', 'raw_vars_gen@vm', 520],
  ])('summary of %s counts the events its trace port dropped', (input, node, count) => {
    const r = cli('summary', `test/fixtures/${input}`);
    expect(r.status).toBe(0);
    expect(r.stdout.match(/^dropped events on .*$/gm)).toEqual([`dropped events on ${node}: ${count}`]);
  });

  test('a raw trace that dropped nothing, and an archive beside one that did, each say their own', () => {
    expect(cli('summary', 'test/fixtures/raw/ttb-peer').stdout).not.toMatch(/dropped events/);
    const both = cli('summary', 'test/fixtures/archives/flood.zip', 'test/fixtures/raw/ip-drop.trace', 'test/fixtures/dbg/pingpong.trace');
    expect(both.status).toBe(0);
    expect(both.stdout.match(/^dropped events on .*$/gm)).toEqual(['dropped events on nonode@nohost: 5803', 'dropped events on raw_ip_gen@vm: 191']);
  });

  test('a dbg trace with monotonic timestamps and no offset has no date in the summary', () => {
    const r = cli('summary', 'test/fixtures/dbg/pingpong-mono.trace');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/span: [\d.]+ (ns|µs|ms|s) from monotonic -?\d+\.\d{6} s \(no wall-clock time in this trace\)/);
  });

  // Regression test: a trace recorded without a timestamp flag (erlang:trace/3 as people call it: every message
  // `{trace, ...}`) read "span: 0 ns from monotonic 0.000000 s (no wall-clock time in this trace)", as if it had times.
  test('a raw trace with no timestamps says so, and its events keep the order and pairs of the file', async () => {
    const r = cli('summary', 'test/fixtures/raw/untimed.trace');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\nevents: 27, span: 0 ns; no timestamps in this trace \(traced without a timestamp flag\): events in file order\n/);
    const { engine } = await loadFixtures([readFixture('raw/untimed.trace')]);
    // set_on_spawn traced the echo process the driver spawned; each of the 5 round trips and the stop pair up
    expect(engine.query(`SELECT kind, count(*)::INTEGER FROM events GROUP BY kind ORDER BY kind`, 10).rows).toEqual([
      ['exit', 2],
      ['receive', 12],
      ['send', 12],
      ['spawn', 1],
    ]);
    expect(engine.query(`SELECT status, count(*)::INTEGER, min(sent_at), max(received_at) FROM messages GROUP BY status ORDER BY status`, 10).rows).toEqual([
      ['received', 11, 0, 0],
      ['receiver_not_traced', 1, 0, null],
      ['sender_not_traced', 1, null, 0],
    ]);
  });

  test('a raw trace with compressed terms summarises; one with a bad frame part-way prints what it read, the error, and exits 1', () => {
    const compressed = cli('summary', 'test/fixtures/dbg/pingpong-compressed.trace');
    expect(compressed.stderr).toBe('');
    expect(compressed.status).toBe(0);
    const plain = cli('summary', 'test/fixtures/dbg/pingpong.trace');
    const events = (out: string) => /source [^\n]*: dbg, node [^,]+, (\d+) events/.exec(out)?.[1];
    expect(events(compressed.stdout)).toBe(events(plain.stdout));

    const dir = mkdtempSync(path.join(tmpdir(), 'otpscope-cli-'));
    const bytes = readFileSync(path.join(root, 'test/fixtures/dbg/pingpong.trace'));
    // the 40th frame's op byte
    let at = 0;
    for (let i = 0; i < 40; i++) at += 5 + bytes.readUInt32BE(at + 1);
    bytes[at] = 7;
    writeFileSync(path.join(dir, 'cut.trace'), bytes);
    const r = cli('summary', path.join(dir, 'cut.trace'));
    rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(1);
    const kept = Number(events(r.stdout));
    expect(kept).toBeGreaterThan(30);
    expect(kept).toBeLessThan(Number(events(plain.stdout)));
    expect(r.stderr).toContain(`cut.trace: at offset ${at}: bad trace frame op 7 (expected 0 = term or 1 = drop); the ${kept} events read are loaded`);
  });

  test('COMMAND --help explains that command and exits 0; an unknown option is a usage error (2)', () => {
    for (const [cmd, usage] of [
      ['query', 'otpscope query FILE... "SQL"'],
      ['export', 'otpscope export FILE... --parquet DIR'],
      ['check', 'otpscope check FILE... --expect'],
    ]) {
      const r = cli(cmd, '--help');
      expect([r.status, r.stdout.split('\n')[0]]).toEqual([0, expect.stringContaining(usage)]);
    }
    const bad = cli('summary', 'test/fixtures/archives/crash.zip', '--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/otpscope: .*--bogus/);
  });

  test('query --json prints one object per row with exact 64-bit timestamps', () => {
    const out = execFileSync(
      process.execPath,
      [path.join(root, 'bin/otpscope.mjs'), 'query', 'test/fixtures/archives/demo.zip', 'SELECT seq, ts, kind FROM events ORDER BY seq LIMIT 3', '--json'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\{"seq":0,"ts":\d{19},"kind":"[a-z_]+"\}$/);
  });

  test('a file that is not a trace: one clear line, non-zero exit', () => {
    const r = cli('summary', 'README.md');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/README\.md: at offset 0: not a trace/);
    const missing = cli('query', 'nope.zip', 'SELECT 1');
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/nope\.zip: no such file or directory/);
  });

  test('summary builds the tables the Overview reads and leaves the causal links to be built on use', async () => {
    const { loadEngine } = await import('../../src/cli/main');
    const { SUMMARY_TABLES } = await import('../../src/cli/summary');
    const { engine } = await loadEngine([path.join(root, 'test/fixtures/archives/crash.zip')], { tables: SUMMARY_TABLES });
    try {
      const state = Object.fromEntries(engine.tables().map((t) => [t.name, t.state]));
      expect(state).toMatchObject({ events: 'ready', processes: 'ready', anomalies: 'ready', causal_links: 'on use' });
      // Nor the steps no later step reads, which the Overview does not read either.
      for (const leaf of ['call_groups', 'state_changes', 'links']) expect(state[leaf], leaf).not.toBe('ready');
      // A query that names them still gets them.
      await engine.readyFor('SELECT count(*) FROM causal_links');
      expect(Number(engine.query('SELECT count(*) AS n FROM causal_links').rows[0][0])).toBeGreaterThan(0);
      await engine.readyFor('SELECT count(*) FROM links, call_groups, state_changes');
      expect(
        engine.query('SELECT (SELECT count(*) FROM links), (SELECT count(*) FROM call_groups), (SELECT count(*) FROM state_changes)').rows[0].map(Number),
      ).toEqual([4, 4, 7]);
    } finally {
      engine.db.close();
    }
  }, 120_000);

  test('query builds the tables its SQL names; every table when it names none or reads the catalog', async () => {
    const { loadEngine, queryTables } = await import('../../src/cli/main');
    expect(queryTables('SELECT kind, count(*) FROM events GROUP BY kind')).toEqual(['events']);
    expect(queryTables('SELECT * FROM state_at(0) JOIN calls USING (pid)')).toEqual(['calls', 'state_at']);
    expect(queryTables('SELECT 1')).toBeUndefined();
    expect(queryTables('SELECT table_name FROM information_schema.tables, events')).toBeUndefined();
    expect(queryTables('SELECT * FROM duckdb_tables()')).toBeUndefined();
    const { engine } = await loadEngine([path.join(root, 'test/fixtures/archives/crash.zip')], { tables: queryTables('SELECT count(*) FROM events') });
    try {
      const state = Object.fromEntries(engine.tables().map((t) => [t.name, t.state]));
      expect(state).toMatchObject({ events: 'ready', processes: 'stopped', anomalies: 'stopped', causal_links: 'on use' });
    } finally {
      engine.db.close();
    }
  }, 120_000);

  test('a query that fails on the tables it names fails as it would with every table built', () => {
    // DuckDB's "Did you mean" picks from the tables that exist: with only events built it named pg_tables.
    const r = cli('query', 'test/fixtures/archives/demo.zip', 'SELECT count(*) AS n FROM events, anomalie');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^otpscope: query failed: Catalog Error: Table with name anomalie does not exist!\nDid you mean "anomalies"\?/);
  });
});
