import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { namesSmallInputs, ONE_THREAD_BYTES } from '../../src/cli/small-input';

// A command on small inputs starts native DuckDB's thread with the allocator set up for one thread
// (native-thread-node.ts SMALL_ALLOCATOR_CONF); anything it cannot be sure is small keeps the default.
const root = path.resolve(__dirname, '../..');
mkdirSync(path.join(root, 'test-results'), { recursive: true });
const work = mkdtempSync(path.join(root, 'test-results/small-input-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const demo = path.join(root, 'test/fixtures/archives/demo.zip');
const big = path.join(work, 'big.zip');
writeFileSync(big, new Uint8Array(ONE_THREAD_BYTES + 1));

describe('namesSmallInputs', () => {
  test.each([
    ['summary', [demo], true],
    ['summary', [demo, demo], true],
    ['summary', ['--json', demo], true],
    ['query', [demo, 'SELECT * FROM events'], true],
    ['query', [demo, 'SELECT [1, 2]'], true],
    ['summary', [big], false],
    ['summary', [demo, big], false],
    ['summary', [work], false],
    ['summary', [path.join(work, '*.zip')], false],
    ['query', [path.join(work, '*.zip'), 'SELECT 1'], false],
    ['summary', [path.join(work, 'missing.zip')], false],
    ['summary', [], false],
    // arguments no file can be named: longer than a name may be, or holding a NUL
    ['query', [demo, `SELECT ${'1 + '.repeat(100)}1`], true],
    ['summary', ['x'.repeat(300)], false],
    ['query', [demo, 'SELECT 1 -- \0'], true],
  ])('%s %j: %s', (command, args, small) => {
    expect(namesSmallInputs(command, args)).toBe(small);
  });
});

/**
 * What a fresh process has right after the CLI's prestart: DUCKDB_JE_MALLOC_CONF, and whether this (the main) thread
 * loaded DuckDB's addon (the thread is started, then released).
 */
function afterPrestart(argv: string[], env: Record<string, string> = {}): { conf: string; addon: boolean } {
  const script = path.join(work, 'prestart.mts');
  writeFileSync(
    script,
    `import { createRequire } from 'node:module';\n` +
      `const { prestart } = await import(${JSON.stringify(path.join(root, 'src/cli/prestart.ts'))});\n` +
      `const { releaseNativeThread } = await import(${JSON.stringify(path.join(root, 'src/engine/duckdb/native-thread-node.ts'))});\n` +
      `prestart(process.argv.slice(2));\n` +
      `const addon = Object.keys(createRequire(import.meta.url).cache).some((f) => f.endsWith('duckdb.node'));\n` +
      `await releaseNativeThread();\n` +
      `console.log(JSON.stringify({ conf: process.env.DUCKDB_JE_MALLOC_CONF ?? '', addon }));\n`,
  );
  const { DUCKDB_JE_MALLOC_CONF: _, ...inherited } = process.env;
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...argv], { cwd: root, encoding: 'utf8', env: { ...inherited, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { conf: string; addon: boolean };
}

describe('the native thread started for a command', () => {
  test('small inputs: one arena, no per-thread caches; DuckDB’s addon loaded in the main thread meanwhile', () => {
    const { conf, addon } = afterPrestart(['summary', demo]);
    expect(conf).toMatch(/^narenas:1,tcache:false,/);
    expect(addon).toBe(true);
  }, 60_000);

  test('bigger inputs, and a user’s own setting, keep theirs', () => {
    expect(afterPrestart(['summary', big]).conf).toMatch(/^dirty_decay_ms:\d+,muzzy_decay_ms:\d+$/);
    expect(afterPrestart(['summary', demo], { DUCKDB_JE_MALLOC_CONF: 'dirty_decay_ms:0' }).conf).toBe('dirty_decay_ms:0');
  }, 60_000);

  test('a command that loads nothing starts no thread and loads no addon', () => {
    expect(afterPrestart(['--help'])).toEqual({ conf: '', addon: false });
  }, 60_000);
});
