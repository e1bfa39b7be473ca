import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// The bundled CLI (scripts/build-cli.mjs) must print what the TypeScript CLI prints, on both engines (the native
// one starts its DuckDB thread from the bundled thread entry), and bin/otpscope.mjs must not run a bundle older
// than its sources.
const root = path.resolve(__dirname, '../..');
mkdirSync(path.join(root, 'test-results'), { recursive: true });
// Inside the repository: the bundle imports its packages from node_modules.
const work = mkdtempSync(path.join(root, 'test-results/cli-bundle-'));
const out = path.join(work, 'dist-cli');
const demo = 'test/fixtures/archives/demo.zip';

function node(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs `main` of the bundle in `out` in a fresh process (a file, not -e: the native thread inherits node's flags). */
function bundled(...argv: string[]) {
  const runner = path.join(work, 'run.mjs');
  writeFileSync(
    runner,
    `const { main } = await import(${JSON.stringify(path.join(out, 'main.mjs'))}); process.exitCode = await main(process.argv.slice(2));\n`,
  );
  return node([runner, ...argv]);
}
/** The TypeScript CLI through tsx, as a dev checkout runs it. */
const typescript = (...argv: string[]) => node(['bin/otpscope.mjs', ...argv], { OTPSCOPE_CLI: 'ts' });

beforeAll(() => {
  const r = node(['scripts/build-cli.mjs', out]);
  expect(r.code, r.err).toBe(0);
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the bundled CLI', () => {
  test.each([
    ['summary', demo, '--engine', 'native'],
    ['query', demo, 'SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind', '--csv'],
    ['query', demo, 'SELECT * FROM no_such_table'],
    // DuckDB-WASM compiles its module in each process (tens of seconds on a busy machine): one command.
    ['summary', demo, '--engine', 'wasm'],
  ])(
    '%s %s %s %s prints what the TypeScript CLI prints',
    (...argv) => {
      const js = bundled(...argv);
      expect(js.out.length + js.err.length).toBeGreaterThan(0);
      expect(js).toEqual(typescript(...argv));
    },
    300_000,
  );

  test.each(
    [
      ['summary', demo],
      ['query', demo, 'SELECT count(*) AS n FROM events', '--engine=native', '--json'],
      // SQL longer than a file name may be (255 bytes): the prestart looked it up as a file and crashed (ENAMETOOLONG)
      ['query', demo, `SELECT count(*) AS n FROM events WHERE ${Array.from({ length: 30 }, (_, i) => `kind <> 'kind number ${i}'`).join(' AND ')}`],
      ['summary', demo, '--engine', 'wasm'],
      // Fails before it opens DuckDB: the thread started for it is ended, after it has loaded, without a crash.
      ['summary', 'no-such-file.zip'],
    ].map((argv): [string, string[]] => [argv.join(' '), argv]),
  )(
    'bin/otpscope.mjs %s (the native DuckDB thread started before the CLI loads) prints what the TypeScript CLI prints',
    (_, argv) => {
      // bin/ beside the bundle, and the sources it was made from, as in a checkout.
      mkdirSync(path.join(work, 'bin'), { recursive: true });
      copyFileSync(path.join(root, 'bin/otpscope.mjs'), path.join(work, 'bin/otpscope.mjs'));
      if (!existsSync(path.join(work, 'src'))) symlinkSync(path.join(root, 'src'), path.join(work, 'src'));
      // So bin/ runs this bundle, not the TypeScript: no source it was made from is newer.
      const { builtAt, inputs } = JSON.parse(readFileSync(path.join(out, 'inputs.json'), 'utf8')) as { builtAt: number; inputs: string[] };
      expect(inputs.filter((f) => statSync(path.join(work, f)).mtimeMs > builtAt)).toEqual([]);
      const js = node([path.join(work, 'bin/otpscope.mjs'), ...argv], { OTPSCOPE_CLI: '' });
      expect(js.out.length + js.err.length).toBeGreaterThan(0);
      expect(js).toEqual(typescript(...argv));
    },
    300_000,
  );

  test('bin/otpscope.mjs runs the bundle only while no source is newer than it', () => {
    // A copy of bin/ beside a fake bundle whose main says which ran; its input is a source under the copy.
    const repo = path.join(work, 'repo');
    mkdirSync(path.join(repo, 'bin'), { recursive: true });
    mkdirSync(path.join(repo, 'dist-cli'), { recursive: true });
    mkdirSync(path.join(repo, 'src'), { recursive: true });
    copyFileSync(path.join(root, 'bin/otpscope.mjs'), path.join(repo, 'bin/otpscope.mjs'));
    writeFileSync(path.join(repo, 'dist-cli/main.mjs'), `export async function main(argv) { console.log('bundle', argv.join(' ')); return 0; }\n`);
    writeFileSync(path.join(repo, 'dist-cli/prestart.mjs'), `export function prestart(argv) { console.log('prestart', argv.join(' ')); }\n`);
    writeFileSync(path.join(repo, 'src/a.ts'), '');
    const builtAt = Date.now();
    writeFileSync(path.join(repo, 'dist-cli/inputs.json'), JSON.stringify({ builtAt, inputs: ['src/a.ts'] }));
    utimesSync(path.join(repo, 'src/a.ts'), new Date(builtAt - 10_000), new Date(builtAt - 10_000));
    expect(node([path.join(repo, 'bin/otpscope.mjs'), 'x']).out).toBe('prestart x\nbundle x\n');
    // The source changed after the bundle was made: the TypeScript CLI runs (here there is none: it fails to import it).
    utimesSync(path.join(repo, 'src/a.ts'), new Date(builtAt + 10_000), new Date(builtAt + 10_000));
    const stale = node([path.join(repo, 'bin/otpscope.mjs'), 'x']);
    expect(stale.out).toBe('');
    expect(stale.err).toMatch(/src\/cli\/main\.ts/);
  });
});
