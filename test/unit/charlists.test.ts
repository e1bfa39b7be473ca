import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { inspectStyle } from '../../src/archive/formats';

// test/scenarios/charlists.exs recorded twice: on Elixir 1.14 / OTP 25 (host) and on Elixir 1.18 / OTP 27
// (the trixie chroot of scripts/trixie-chroot.sh). Terms print as the recording node's inspect does.
const root = path.resolve(__dirname, '../..');
const file = (rel: string) => ({ name: path.basename(rel), bytes: new Uint8Array(readFileSync(path.join(root, 'test/fixtures', rel))) });
async function states(rel: string, options = {}) {
  const e = await Engine.create(await openNodeDuckDb());
  const report = await e.load([file(rel)], undefined, options);
  expect(report.errors).toEqual([]);
  return e;
}

describe('charlists print as the recording node’s Elixir writes them', () => {
  test('Elixir 1.14 archive: single quotes', async () => {
    const e = await states('scenarios/charlists-1.14.zip');
    expect(e.query(`SELECT callback, message, state FROM states ORDER BY seq`).rows).toEqual([
      ['init', ':ok', "%{last: 'none', names: []}"],
      ['handle_call', "{:greet, 'joe'}", "%{last: 'joe', names: ['joe']}"],
      ['handle_call', "{:greet, 'ann'}", "%{last: 'ann', names: ['ann', 'joe']}"],
    ]);
    expect(e.query(`SELECT request, reply FROM calls ORDER BY call_seq`).rows).toEqual([
      ["{:greet, 'joe'}", "'hello joe'"],
      ["{:greet, 'ann'}", "'hello ann'"],
    ]);
  });

  test('Elixir 1.18 archive: the ~c sigil', async () => {
    const e = await states('scenarios/charlists-1.18.zip');
    expect(e.query(`SELECT value FROM meta WHERE key = 'elixir_version'`).rows).toEqual([['1.18.3']]);
    expect(e.query(`SELECT callback, message, state FROM states ORDER BY seq`).rows).toEqual([
      ['init', ':ok', '%{last: ~c"none", names: []}'],
      ['handle_call', '{:greet, ~c"joe"}', '%{last: ~c"joe", names: [~c"joe"]}'],
      ['handle_call', '{:greet, ~c"ann"}', '%{last: ~c"ann", names: [~c"ann", ~c"joe"]}'],
    ]);
    expect(e.query(`SELECT request, reply FROM calls ORDER BY call_seq`).rows).toEqual([
      ['{:greet, ~c"joe"}', '~c"hello joe"'],
      ['{:greet, ~c"ann"}', '~c"hello ann"'],
    ]);
  });

  test('raw dbg traces print the newest way unless told otherwise, in the engine and the CLI', async () => {
    const sql = `SELECT term FROM events WHERE seq = 60`;
    expect(String((await states('dbg/exiting.trace')).query(sql).rows[0][0])).toContain('file: ~c"test/fixtures/otps_echo.erl"');
    expect(String((await states('dbg/exiting.trace', { rawCharlists: 'quotes' })).query(sql).rows[0][0])).toContain("file: 'test/fixtures/otps_echo.erl'");
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/otpscope.mjs'), 'query', ...args], { cwd: root, encoding: 'utf8' });
    expect(cli('test/fixtures/dbg/exiting.trace', '--raw-charlists', 'quotes', '--csv', sql).stdout).toContain("file: 'test/fixtures/otps_echo.erl'");
    expect(cli('test/fixtures/dbg/exiting.trace', '--csv', sql).stdout).toContain('file: ~c""test/fixtures/otps_echo.erl""');
    const bad = cli('test/fixtures/dbg/exiting.trace', '--raw-charlists', 'double', sql);
    expect([bad.status, bad.stderr.trim()]).toEqual([
      2,
      `otpscope: --raw-charlists takes sigil (~c"abc", Elixir 1.15+) or quotes ('abc', Elixir 1.14), got "double"`,
    ]);
  }, 300_000);

  test('which versions write the sigil', () => {
    expect(['1.14.0', '1.14.5-otp-25', '1.15.0', '1.18.3', '2.0.0', null, 'x'].map((v) => inspectStyle(v).sigilCharlists)).toEqual([
      false,
      false,
      true,
      true,
      true,
      true,
      true,
    ]);
  });
});
