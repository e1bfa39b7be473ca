import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';

// Each CLI call opens DuckDB-WASM and loads the archive: slow on a busy machine, so a generous per-test limit.
const SLOW = 240_000;
import { main } from '../../src/cli/main';

// The CLI's main() in this process (console and stdout captured), on input that may come from someone else.
const root = path.resolve(__dirname, '../..');
const archive = path.join(root, 'test/fixtures/archives/demo.zip');
const scratch = mkdtempSync(path.join(tmpdir(), 'otpscope-cli-hostile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const log = vi.spyOn(console, 'log').mockImplementation((s: unknown) => void (stdout += `${String(s)}\n`));
  const error = vi.spyOn(console, 'error').mockImplementation((s: unknown) => void (stderr += `${String(s)}\n`));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  try {
    return { status: await main(args), stdout, stderr };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

describe('otpscope CLI limits on what an archive may inflate to', { timeout: SLOW }, () => {
  test('--max-entry-mb below an entry refuses the archive naming the entry and both sizes; the default reads it', async () => {
    const tight = await cli('query', archive, '--max-entry-mb', '0.0001', 'SELECT count(*) FROM events');
    expect(tight.status).toBe(2);
    expect(tight.stderr).toMatch(
      /otpscope: error: .*demo\.zip: at offset 0: entry manifest\.json: declares \d+ bytes uncompressed, more than the per-entry limit of 104 bytes; if the archive is trusted, raise the limit \(CLI --max-entry-mb/,
    );
    const ok = await cli('query', archive, 'SELECT count(*) AS n FROM events', '--json');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^\{"n":\d+\}/);
  });

  test('--max-archive-mb bounds all entries together; a bad value is a usage error', async () => {
    const tight = await cli('summary', archive, '--max-archive-mb=0.01');
    expect(tight.stderr).toMatch(/already read passes the per-archive limit of 10485 bytes \(10\.2 KiB\); .*--max-archive-mb/);
    const bad = await cli('summary', archive, '--max-entry-mb', 'lots');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('otpscope: --max-entry-mb needs a positive number of MiB, got "lots"');
  });
});

// Regression tests: `otpscope query` printed /etc/passwd through read_text and COPY wrote local files;
// `check --expect FILE` runs SQL that may come from someone else.
describe('otpscope CLI SQL cannot touch local files', { timeout: SLOW }, () => {
  const secret = path.join(scratch, 'secret.txt');
  writeFileSync(secret, 'TOP-SECRET-LINE\n');
  const written = path.join(scratch, 'written.csv');
  const refused = /Permission Error: Cannot access file .* file system operations are disabled by configuration/;

  test('query: read_text of a local file and COPY TO a local path fail, leaking and writing nothing', async () => {
    for (const sql of [`SELECT * FROM read_text('${secret}')`, `SELECT * FROM read_csv('/etc/passwd')`]) {
      const r = await cli('query', archive, sql);
      expect(r.status, sql).toBe(2);
      expect(r.stderr, sql).toMatch(refused);
      expect(r.stdout + r.stderr, sql).not.toContain('TOP-SECRET-LINE');
      expect(r.stdout + r.stderr, sql).not.toMatch(/root:x:0:0/);
    }
    const copy = await cli('query', archive, `COPY (SELECT 1 AS x) TO '${written}' (FORMAT csv)`);
    expect(copy.status).toBe(2);
    expect(copy.stderr).toMatch(refused);
    expect(existsSync(written)).toBe(false);
  });

  test('check --expect: checks that read or write a local file fail with a query error and touch nothing', async () => {
    const expectations = path.join(scratch, 'hostile.expect.sql');
    writeFileSync(
      expectations,
      `-- check: leak a local file\nSELECT * FROM read_text('${secret}')\n\n-- check: write a local file\nCOPY (SELECT 1 AS x) TO '${written}' (FORMAT csv)\n`,
    );
    const r = await cli('check', archive, '--expect', expectations);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL  leak a local file \\(.*:1\\): query error: ${refused.source}`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^FAIL  write a local file \\(.*:4\\): query error: ${refused.source}`, 'm'));
    expect(r.stdout).toMatch(/^0 passed, 2 failed$/m);
    expect(r.stdout).not.toContain('TOP-SECRET-LINE');
    expect(existsSync(written)).toBe(false);
  });
});
