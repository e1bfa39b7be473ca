import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { FORMATS, groupInputs, openSource, type InputFile } from '../../src/archive/formats';
import { batchSize } from '../../src/archive/trace-event';

// The format registry decides what dropped files are and what each reader yields; the engine only asks it.
const fixtures = path.resolve(__dirname, '../fixtures');
const read = (rel: string): InputFile => ({ name: rel, bytes: new Uint8Array(readFileSync(path.join(fixtures, rel))) });

describe('the format registry', () => {
  test('groups a mixed drop into sources: an archive alone, a wrap set together, a ttb upload with its .ti, junk refused', () => {
    const wrap = readdirSync(path.join(fixtures, 'dbg'))
      .filter((f) => /^wrap-\d+\.trace$/.test(f))
      .map((f) => read(`dbg/${f}`));
    const drop = [read('archives/demo.zip'), read('dbg/pingpong.trace'), ...wrap, { name: 'notes.txt', bytes: new TextEncoder().encode('hello') }];
    const { groups, errors } = groupInputs(drop);
    expect(groups.map((g) => [g.kind, g.name, g.files.length])).toEqual([
      ['otpscope', 'archives/demo.zip', 1],
      ['dbg', 'dbg/pingpong.trace', 1],
      ['dbg', `${wrap[0].name} (+${wrap.length - 1} wrap files)`, wrap.length],
    ]);
    expect(errors).toEqual([
      {
        file: 'notes.txt',
        offset: 0,
        notATrace: true,
        message:
          'notes.txt: at offset 0: not a trace: expected an otpscope archive (zip, "PK\\3\\4") or a dbg/ttb trace-port frame (op 0 or 1, 32-bit size, ETF 131); found bytes 68 65 6c 6c 6f',
      },
    ]);
    const ttb = readdirSync(path.join(fixtures, 'ttb/upload')).map((f) => read(`ttb/upload/${f}`));
    expect(groupInputs(ttb).groups.map((g) => [g.kind, g.files.length])).toEqual([['ttb', ttb.length]]);
    expect(FORMATS.map((f) => f.id)).toEqual(['otpscope', 'dbg', 'ttb']);
  });

  // Regression test: a dbg trace dropped beside a ttb upload was read as one of the upload's logs ("no trace-info
  // file"), its events merged into the ttb source and named after its node.
  test('a dbg trace dropped with a ttb upload is a source of its own; a ttb log whose .ti is missing stays in the upload', () => {
    const peer = readdirSync(path.join(fixtures, 'raw/ttb-peer')).map((f) => read(`raw/ttb-peer/${f}`));
    const { groups, errors } = groupInputs([...peer, read('dbg/pingpong.trace')]);
    expect(errors).toEqual([]);
    expect(groups.map((g) => [g.kind, g.files.map((f) => f.name).sort()])).toEqual([
      ['ttb', peer.map((f) => f.name).sort()],
      ['dbg', ['dbg/pingpong.trace']],
    ]);
    const oneTi = peer.filter((f) => f.name !== 'raw/ttb-peer/raw_vars_peer@vm-tp.ti');
    expect(groupInputs([...oneTi, read('dbg/pingpong.trace')]).groups.map((g) => [g.kind, g.files.length])).toEqual([
      ['ttb', oneTi.length],
      ['dbg', 1],
    ]);
  });

  test("an archive's reader yields its node, meta facts, module sources named by module, processes and trees", async () => {
    const [group] = groupInputs([read('archives/demo.zip')]).groups;
    const src = await openSource(group);
    expect(src.node).toBe('nonode@nohost');
    expect(src.meta).toMatchObject({ node: 'nonode@nohost', 'totals.events_dropped': '0' });
    expect(src.sources.map((s) => [s.path, s.module])).toContainEqual(['Elixir.OtpscopeDemo.WorkerA.ex', 'OtpscopeDemo.WorkerA']);
    expect(src.processes.length).toBeGreaterThan(10);
    expect(src.trees.map((t) => t.snapshot)).toEqual(['start', 'stop']);
    let events = 0;
    for await (const b of src.batches) events += batchSize(b);
    expect(events).toBeGreaterThan(50);
  });

  test('a raw dbg trace names its node once the first events are read; routine spawn/link twins are not warnings', async () => {
    const [group] = groupInputs([read('dbg/pingpong.trace')]).groups;
    const warnings: string[] = [];
    const src = await openSource(group, { onWarning: (w) => warnings.push(w) });
    expect(src.node).toBe('');
    for await (const b of src.batches) void b;
    expect(src.node).toMatch(/@/);
    expect(warnings.filter((w) => w.includes("other side's"))).toEqual([]);
  });
});
