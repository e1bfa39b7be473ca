import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

// `otpscope query` over a day of a cluster's recordings, as a user runs it: a glob of six archives of two node names,
// three runs each (test/scenarios/day_runs.exs). Regression test: the runs of a node name merged into one node.
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/otpscope.mjs');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });

const CALLS = `SELECT caller_node, callee_node, callee_pid, count(*) AS calls FROM calls GROUP BY ALL ORDER BY ALL`;
const PER_RUN = [
  'caller_node,callee_node,callee_pid,calls',
  'runs_a@vm,runs_b@vm,<0.115.0>,1',
  'runs_a@vm#2,runs_b@vm#2,<0.115.0>,2',
  'runs_a@vm#3,runs_b@vm#3,<0.115.0>,3',
  '',
].join('\n');

describe('otpscope query over a day of recordings', () => {
  test('a quoted glob is expanded by the CLI: each run is its own node, and stderr says so once per node name', () => {
    const r = cli('query', 'test/fixtures/scenarios/day-*.zip', CALLS, '--csv');
    expect(r.stderr.split('\n').filter((l) => l.includes('different runs'))).toEqual([
      expect.stringMatching(
        /^otpscope: warning: runs_a@vm was recorded by 3 different runs of it \(OS processes\), whose processes are kept apart: test\/fixtures\/scenarios\/day-a-1\.zip \(OS pid \d+\) as runs_a@vm; test\/fixtures\/scenarios\/day-a-2\.zip \(OS pid \d+\) as runs_a@vm#2; test\/fixtures\/scenarios\/day-a-3\.zip \(OS pid \d+\) as runs_a@vm#3$/,
      ),
      expect.stringMatching(/^otpscope: warning: runs_b@vm was recorded by 3 different runs .* as runs_b@vm#3$/),
    ]);
    expect(r.stdout).toBe(PER_RUN);
    expect(r.status).toBe(0);
  });

  test('an unquoted glob, expanded by the shell, gives the same answer', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" query test/fixtures/scenarios/day-*.zip "${CALLS}" --csv`], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.stdout).toBe(PER_RUN);
    expect(r.status).toBe(0);
  });

  test('per run: its crash, its processes, as each run loaded alone shows them', () => {
    const sql = `SELECT kind, node, pid FROM anomalies WHERE kind = 'crash'`;
    const day = cli('query', 'test/fixtures/scenarios/day-?-[123].zip', sql, '--csv');
    const alone = cli('query', 'test/fixtures/scenarios/day-a-2.zip', 'test/fixtures/scenarios/day-b-2.zip', sql, '--csv');
    expect(day.stdout).toBe(alone.stdout.replace('runs_a@vm,', 'runs_a@vm#2,'));
    expect(day.stdout).toMatch(/^kind,node,pid\ncrash,runs_a@vm#2,<0\.\d+\.0>\n$/);
    const count = `SELECT count(*) FROM processes`;
    const total = [1, 2, 3].reduce((n, k) => n + Number(cli('query', `test/fixtures/scenarios/day-?-${k}.zip`, count, '--csv').stdout.split('\n')[1]), 0);
    expect(Number(cli('query', 'test/fixtures/scenarios/day-*.zip', count, '--csv').stdout.split('\n')[1])).toBe(total);
  });

  test('the same answer from native DuckDB and DuckDB-WASM', () => {
    const sql = `SELECT to_node, to_pid, from_node, status, count(*) FROM messages GROUP BY ALL ORDER BY ALL`;
    const native = cli('query', 'test/fixtures/scenarios/day-*.zip', sql, '--csv', '--engine', 'native');
    const wasm = cli('query', 'test/fixtures/scenarios/day-*.zip', sql, '--csv', '--engine', 'wasm');
    expect(native.stdout).toMatch(/runs_b@vm#3,<0\.115\.0>,runs_a@vm#3,received,3\n/);
    expect(wasm.stdout).toBe(native.stdout);
  });

  test('a glob that matches nothing is a clear error', () => {
    const r = cli('query', 'test/fixtures/scenarios/no-such-day-*.zip', 'SELECT 1');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^otpscope: test\/fixtures\/scenarios\/no-such-day-\*\.zip: no file matches\n$/);
  });
});
