import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { parseExpectations } from '../../src/engine/analyses/expectations';
import { Engine } from '../../src/engine/engine';
import { main } from '../../src/cli/main';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/scenarios/${name}`, import.meta.url));

describe('expectations', () => {
  it('parses named checks up to the next header, ignoring text before the first', () => {
    expect(parseExpectations('-- notes\n-- check: a\nSELECT 1;\n\n-- CHECK:  b c \nSELECT 2\nFROM x;\n')).toEqual([
      { name: 'a', line: 2, sql: 'SELECT 1' },
      { name: 'b c', line: 5, sql: 'SELECT 2\nFROM x' },
    ]);
  });

  it('otpscope check prints pass/fail with the first counter-example event and exits 1 on failure', async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    try {
      const code = await main(['check', fixture('call-chain-timeout.zip'), '--expect', fixture('call-chain-timeout.expect.sql')]);
      expect(code).toBe(1);
    } finally {
      log.mockRestore();
    }
    expect(lines[0]).toBe('PASS  every {:ping, _, _} call gets a reply');
    expect(lines[1]).toMatch(/^FAIL  no call slower than 50 ms \(.*:5\): 2 counter-examples$/);
    expect(lines[2]).toBe('      first: call_seq=28 latency_ns=50221366');
    expect(lines[3]).toMatch(
      /^      event: seq=28 ts=\d+ node=nonode@nohost pid=<0\.143\.0> kind=send peer=<0\.142\.0> mfa=NULL term=\{:"\$gen_call", .*\{:work, :slow\}\}$/,
    );
    expect(lines[4]).toBe("PASS  Back's computed count equals the compute requests it took so far");
    expect(lines[5]).toBe('2 passed, 1 failed');
  }, 300_000);

  it('otpscope check builds the tables its checks name; a check that fails on them runs again with every table built', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'otpscope-check-'));
    const expect_ = path.join(dir, 'e.sql');
    writeFileSync(expect_, "-- check: no exits\nSELECT seq, ts, pid FROM events WHERE kind = 'exit';\n\n-- check: a typo\nSELECT seq FROM calls, anomalie;\n");
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const load = vi.spyOn(Engine.prototype, 'load');
    try {
      const demo = fileURLToPath(new URL('../fixtures/archives/demo.zip', import.meta.url));
      expect(await main(['check', demo, '--expect', expect_])).toBe(1);
      expect(load.mock.calls.map((c) => c[2]?.tables)).toEqual([['calls', 'events']]);
    } finally {
      load.mockRestore();
      log.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(lines[0]).toMatch(/^FAIL  no exits \(.*:1\): 1 counter-example$/);
    // With only events and calls built, DuckDB's "Did you mean" named a table that happened to exist.
    expect(lines.join('\n')).toMatch(/FAIL  a typo \(.*:4\): query error: Catalog Error: Table with name anomalie does not exist!\nDid you mean "anomalies"\?/);
    expect(lines[lines.length - 1]).toBe('0 passed, 2 failed');
  }, 300_000);
});
