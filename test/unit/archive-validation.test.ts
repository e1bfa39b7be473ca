import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOtpscopeArchive } from '../../src/archive/otpscope/read-archive';
import { atom, type Term } from '../../src/archive/etf/term';
import { TraceReadError } from '../../src/archive/trace-event';
import { entryJson, entryTerm, json, rewriteArchive, withField } from '../fuzz/rewrite-archive';

// Regression tests: malformed manifest and chunk fields failed with "Cannot convert abc to a BigInt" or a
// TypeError, naming neither the file nor the field. Each variant is the real demo archive with one field changed.
const demo = new Uint8Array(readFileSync(new URL('../fixtures/archives/demo.zip', import.meta.url)));
const CHUNK = 'events/000000.etf';

async function readAll(bytes: Uint8Array): Promise<string[]> {
  const archive = await readOtpscopeArchive(bytes, 'bad.zip');
  for await (const b of archive.batches()) void b;
  return archive.warnings;
}

async function failure(bytes: Uint8Array): Promise<TraceReadError> {
  const err = await readAll(bytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TraceReadError);
  expect((err as TraceReadError).file).toBe('bad.zip');
  return err as TraceReadError;
}

async function withManifest(change: (m: Record<string, unknown>) => unknown): Promise<Uint8Array> {
  const m = await entryJson(demo, 'manifest.json');
  return rewriteArchive(demo, { 'manifest.json': json(change(m)) });
}

async function withChunkField(key: string, value: Term | undefined): Promise<Uint8Array> {
  return rewriteArchive(demo, { [CHUNK]: withField(await entryTerm(demo, CHUNK), key, value) });
}

describe('manifest.json is checked field by field', () => {
  const cases: [string, (m: Record<string, unknown>) => unknown, RegExp][] = [
    ['null', () => null, /manifest\.json: is null \(null\), expected a JSON object/],
    ['an array', () => [1], /manifest\.json: is \[1\] \(an array\), expected a JSON object/],
    [
      'time_offset_ns "abc"',
      (m) => ({ ...m, clock: { ...(m.clock as object), time_offset_ns: 'abc' } }),
      /manifest\.json: clock\.time_offset_ns is "abc" \(a string\), expected nanoseconds/,
    ],
    [
      'time_offset_ns 1.5',
      (m) => ({ ...m, clock: { ...(m.clock as object), time_offset_ns: 1.5 } }),
      /manifest\.json: clock\.time_offset_ns is 1\.5 \(a number\), expected nanoseconds/,
    ],
    [
      'monotonic_start_ns true',
      (m) => ({ ...m, clock: { ...(m.clock as object), monotonic_start_ns: true } }),
      /clock\.monotonic_start_ns is true \(a boolean\)/,
    ],
    ['clock a string', (m) => ({ ...m, clock: 'now' }), /manifest\.json: clock is "now" \(a string\), expected an object/],
    ['node missing', (m) => ({ ...m, node: undefined }), /manifest\.json: node is missing, expected the node name as a non-empty string/],
    ['node a number', (m) => ({ ...m, node: 42 }), /manifest\.json: node is 42 \(a number\), expected the node name/],
    ['format_version "2"', (m) => ({ ...m, format_version: '2' }), /manifest\.json: format_version "2" is not supported/],
  ];
  for (const [what, change, message] of cases) {
    it(`${what}: an error naming the file, the entry offset and the field`, async () => {
      const err = await failure(await withManifest(change));
      expect(err.offset).toBe(0); // manifest.json is the first entry
      expect(err.message).toMatch(/^bad\.zip: at offset 0: /);
      expect(err.message).toMatch(message);
    });
  }

  it('totals.json that is not an object is a warning; the events still load', async () => {
    const warnings = await readAll(await rewriteArchive(demo, { 'totals.json': json(null) }));
    expect(warnings).toContain('bad.zip: totals.json is null (null), expected a JSON object; the totals are ignored');
  });
});

describe('chunk header fields are checked', () => {
  const cases: [string, Term | undefined, RegExp][] = [
    ['t0', atom('soon'), /events\/000000\.etf: :t0 is not an integer/],
    ['u0', new Uint8Array([1]), /events\/000000\.etf: :u0 is not an integer/],
    ['n', { t: 'float', value: 3 }, /events\/000000\.etf: :n is not an integer/],
    ['n', -1, /events\/000000\.etf: :n is -1, expected an event count/],
    ['n', undefined, /events\/000000\.etf: chunk has no :n field/],
    [
      'drops',
      [{ t: 'tuple', items: [1, 2, atom('many'), atom('rate')] }],
      /events\/000000\.etf: :drops entry 0 is not \{from_mono_ns, to_mono_ns, count, reason\}/,
    ],
    ['drops', atom('none'), /events\/000000\.etf: :drops is not a list/],
  ];
  for (const [key, value, message] of cases) {
    it(`:${key} = ${JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}: an error naming the chunk and the field`, async () => {
      const bytes = await withChunkField(key, value);
      const err = await failure(bytes);
      expect(err.offset).toBeGreaterThan(0);
      expect(err.message).toMatch(message);
    });
  }

  it('a well-formed drop still becomes a drop event', async () => {
    const bytes = await withChunkField('drops', [{ t: 'tuple', items: [1_000, 2_000, 7, atom('rate')] }]);
    const archive = await readOtpscopeArchive(bytes, 'ok.zip');
    const drops = [];
    for await (const b of archive.batches()) drops.push(...b.events.filter((e) => e.kind === 'drop'));
    expect(drops.map((d) => d.term)).toEqual([{ t: 'tuple', items: [7, atom('rate')] }]);
  });
});
