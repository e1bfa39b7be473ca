import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { parseExpectations } from '../../src/engine/analyses/expectations';
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
});
