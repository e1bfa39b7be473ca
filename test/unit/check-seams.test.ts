import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const script = path.resolve(__dirname, '../../scripts/check-seams.mjs');

/** Runs the seam check on a tree of files; returns its exit code and output. */
function run(files: Record<string, string>): { code: number; out: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'otpscope-seams-'));
  dirs.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  try {
    return { code: 0, out: execFileSync(process.execPath, [script, root], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    const err = e as { status: number; stderr: string };
    return { code: err.status, out: err.stderr };
  }
}
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('scripts/check-seams.mjs', () => {
  test('passes on the repository itself', () => {
    expect(run({ 'src/ui/ok.ts': `import type { Engine } from '../engine/engine';\n` }).code).toBe(0);
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
    expect(out).toMatch(/^import seams: ok/);
  });

  test('names every forbidden crossing with file and line', () => {
    const r = run({
      'src/archive/zip.ts': `export const a = 1;\nimport { Engine } from '../engine/engine';\n`,
      'src/engine/engine.ts': `import Timeline from '../ui/Timeline.svelte';\nexport class Engine {}\n`,
      'src/cli/main.ts': `const x = await import('../ui/lib/format');\n`,
      'src/ui/lib/format.ts': `import { readZip } from '../../archive/zip';\nimport type { Engine } from '../../engine/engine';\nimport { fmt } from '../../engine/clock';\n`,
      'src/ui/App.svelte': `<script lang="ts">\n  import { Engine } from '../engine/engine';\n</script>\n`,
      'src/engine/clock.ts': `export const fmt = 1;\n`,
    });
    expect(r.code).toBe(1);
    const lines = r.out
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter(Boolean)
      .sort();
    expect(lines).toEqual([
      'src/archive/zip.ts:2: archive must not import engine (../engine/engine)',
      'src/cli/main.ts:1: cli must not import ui (../ui/lib/format)',
      'src/engine/engine.ts:1: engine must not import ui (../ui/Timeline.svelte)',
      'src/ui/App.svelte:2: ui may import engine/engine for types only (../engine/engine); use `import type`',
      'src/ui/lib/format.ts:1: ui may import archive for types only (../../archive/zip); use `import type`',
    ]);
  });
});
