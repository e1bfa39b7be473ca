import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { Engine } from '../../src/engine/engine';
import { block, code, table } from '../../src/engine/views/markdown';
import { markdownReport } from '../../src/engine/views/report';

// The report for an issue (src/engine/views/report.ts), as `otpscope report FILE --markdown` prints it, against
// the exact text in test/fixtures/reports/: the demo the site ships, recorder fixture archives (crashes and
// restarts, a mailbox flood with drops, a gen_statem with no anomaly) and a dbg trace with no wall clock and
// no recording facts. The browser test copies the same text from the analyzer (test/browser/share.test.mjs).

const root = path.resolve(__dirname, '../..');
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/otpscope.mjs'), ...args], { cwd: root, encoding: 'utf8' });
const expected = (name: string) => readFileSync(path.join(root, 'test/fixtures/reports', name), 'utf8');

describe('otpscope report --markdown', () => {
  for (const [file, md] of [
    ['public/demo/demo.zip', 'demo.md'],
    ['test/fixtures/archives/crash.zip', 'crash.md'],
    ['test/fixtures/archives/flood.zip', 'flood.md'],
    ['test/fixtures/archives/statem.zip', 'statem.md'],
    ['test/fixtures/dbg/pingpong-mono.trace', 'pingpong-mono.md'],
  ])
    test(`${file} gives exactly test/fixtures/reports/${md}`, () => {
      const r = cli('report', file, '--markdown');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(expected(md));
    }, 180_000);

  test('--link puts the analyzer address in; --top limits each section', () => {
    const r = cli('report', 'test/fixtures/archives/crash.zip', '--markdown', '--top', '1', '--link', 'https://example.org/otpscope/#a=crash.zip&p=calls');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('**View:** <https://example.org/otpscope/#a=crash.zip&p=calls> (opens this view once the archive is loaded)');
    expect(r.stdout).toContain('### Anomalies (the first 1 of 6, most severe first)');
    expect(r.stdout).toContain('### Slowest calls (the 1 slowest)');
    expect(r.stdout).toContain('### Crashes (the first 1 of 3)');
  }, 180_000);

  // Regression test: a raw trace's node said "unknown" dropped events (no manifest counts them) though its trace port's
  // drop frame counted 191.
  test('a raw trace whose trace port dropped events counts them on its node', () => {
    const r = cli('report', 'test/fixtures/raw/ip-drop.trace', '--markdown');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\| `raw_ip_gen@vm` \| 17 \| 2 \| unknown \| unknown \| 191 \| unknown \| unknown \|$/m);
  }, 180_000);

  test('without --markdown, or with a bad --top, it is a usage error naming the flag', () => {
    const none = cli('report', 'test/fixtures/archives/crash.zip');
    expect([none.status, none.stderr]).toEqual([2, 'otpscope: report needs --markdown (the only format so far)\n']);
    const bad = cli('report', 'test/fixtures/archives/crash.zip', '--markdown', '--top', 'x');
    expect([bad.status, bad.stderr]).toEqual([2, 'otpscope: --top needs a positive whole number, got "x"\n']);
  }, 180_000);
});

describe('Markdown from untrusted trace text', () => {
  test('a code span is fenced with more backticks than it holds, on one line, and cut with a note', () => {
    expect(code('<0.1.0>')).toBe('`<0.1.0>`');
    expect(code('a `b` c')).toBe('``a `b` c``');
    expect(code('`x')).toBe('`` `x ``');
    expect(code('line1\nline2\r\nline3')).toBe('`line1 line2 line3`');
    expect(code('abcdef', 3)).toBe('`abc… (3 more characters)`');
    expect(code('')).toBe('`  `');
  });

  test('a table cell keeps its pipes inside the cell', () => {
    expect(table(['a', 'n'], [[code('x | y'), '1']], [1])).toBe('| a | n |\n|---|---:|\n| `x \\| y` | 1 |');
  });

  test('a fenced block outlasts any fence in the text', () => {
    expect(block('a\n```\n<script>alert(1)</script>')).toBe('````\na\n```\n<script>alert(1)</script>\n````');
  });

  test('markup, pipes and backticks in trace content stay inside code in the whole report', async () => {
    // Every text the engine answers with that names "boom #1" gets markup, a pipe, emphasis and a fence in its place.
    const engine = await Engine.create(await openNodeDuckDb());
    const bytes = new Uint8Array(readFileSync(path.join(root, 'test/fixtures/archives/crash.zip')));
    await engine.load([{ name: 'crash.zip', bytes }]);
    const HOSTILE = '<img src=x onerror=alert(1)> | ** ``` _x_';
    const sql = (s: string, m?: number) => {
      const r = engine.query(s, m);
      return { ...r, rows: r.rows.map((row) => row.map((c) => (typeof c === 'string' ? c.replace('boom #1', HOSTILE) : c))) };
    };
    const md = await markdownReport(sql, { archive: 'a|b<i>.zip', link: '#a=x' });
    expect(md).toContain('## otpscope report: `a|b<i>.zip`');
    expect(md).toContain('````\n{%RuntimeError{message: "<img src=x onerror=alert(1)> | ** ``` _x_"}');
    expect(md).toContain('````OtpscopeDemo.Crasher exited: {%RuntimeError{message: "<img src=x onerror=alert(1)> | ** ``` _x_"}');
    expect(md).toContain('| #48 | +11.228 ms | `<0.158.0>` | exit |  | ````{%RuntimeError{message: "<img src=x onerror=alert(1)> \\| ** ``` _x_"}');
    // outside code spans and fences, no '<' from the trace is left
    const outside = md.replace(/````[\s\S]*?````|```[\s\S]*?```/g, '').replace(/(`+)[\s\S]*?\1/g, '');
    expect(outside).not.toMatch(/[<>]/);
  }, 300_000);
});
