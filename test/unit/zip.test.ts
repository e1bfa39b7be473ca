import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc32, readZip, type ZipArchive } from '../../src/archive/zip';
import { TraceReadError } from '../../src/archive/trace-event';
import { buildZip, zeroBomb } from '../fuzz/craft-zip';

// Fixtures from test/fixtures/gen-traces.sh: mixed.zip and deflated.zip by
// Erlang's :zip (facts in zip.json, from zip:unzip and erlang:crc32),
// streamed.zip and zip64.zip by Info-ZIP.
const dir = new URL('../fixtures/zip/', import.meta.url);
const load = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const facts = JSON.parse(readFileSync(new URL('zip.json', dir), 'utf8')) as {
  entries: { name: string; size: number; crc32: number; head: number[] }[];
};
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const seq400 = Array.from({ length: 400 }, (_, i) => `${i + 1}\n`).join('');

async function checkAgainstBeam(zip: ZipArchive) {
  expect(zip.entries.map((e) => e.name)).toEqual(facts.entries.map((e) => e.name));
  for (const [i, e] of zip.entries.entries()) {
    const want = facts.entries[i];
    expect(e.size).toBe(want.size);
    expect(e.crc32).toBe(want.crc32);
    const data = await e.data();
    expect(data.length).toBe(want.size);
    expect(Array.from(data.subarray(0, 16))).toEqual(want.head);
  }
}

/** Where each entry's bytes end in the file (header + name + extra + data), from the intact archive. */
function entryEnds(bytes: Uint8Array, zip: ZipArchive): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  return zip.entries.map((e) => e.offset + 30 + v.getUint16(e.offset + 26, true) + v.getUint16(e.offset + 28, true) + e.compressedSize);
}

describe('readZip', () => {
  it('reads a stored + deflated zip written by :zip, matching zip:unzip', async () => {
    const zip = readZip(load('mixed.zip'), 'mixed.zip');
    expect(zip.recovered).toBe(false);
    expect(zip.warnings).toEqual([]);
    const methods = Object.fromEntries(zip.entries.map((e) => [e.name, e.method]));
    expect(methods['manifest.json']).toBe(0);
    expect(methods['notes.txt']).toBe(0);
    expect(methods['events/chunk-0001.bin']).toBe(8);
    await checkAgainstBeam(zip);
  });

  it('reads an all-deflated zip written by :zip', async () => {
    const zip = readZip(load('deflated.zip'), 'deflated.zip');
    expect(zip.entries.find((e) => e.name === 'notes.txt')!.method).toBe(8);
    await checkAgainstBeam(zip);
  });

  it('reads streamed entries (data descriptors) written by Info-ZIP to a pipe', async () => {
    const zip = readZip(load('streamed.zip'), 'streamed.zip');
    expect(zip.recovered).toBe(false);
    expect(zip.entries.map((e) => e.name)).toEqual(['a.txt', 'b.txt']);
    expect(text(await zip.entries[0].data())).toBe('first entry\n');
    expect(text(await zip.entries[1].data())).toBe(seq400);
  });

  it('reads a zip64 archive (zip64 end of central directory, zip64 extra fields)', async () => {
    const bytes = load('zip64.zip');
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    expect(v.getUint32(bytes.length - 22 + 16, true)).toBe(0xffffffff); // the 32-bit EOCD defers to zip64
    const zip = readZip(bytes, 'zip64.zip');
    expect(zip.recovered).toBe(false);
    expect(zip.entries.map((e) => [e.name, e.size])).toEqual([
      ['a.txt', 12],
      ['b.txt', seq400.length],
    ]);
    expect(text(await zip.entries[1].data())).toBe(seq400);
  });

  it('finds the end of central directory behind an archive comment', async () => {
    const bytes = load('mixed.zip');
    const comment = new TextEncoder().encode('a trailing comment with PK\x05\x06 inside');
    const withComment = new Uint8Array(bytes.length + comment.length);
    withComment.set(bytes);
    withComment.set(comment, bytes.length);
    new DataView(withComment.buffer).setUint16(bytes.length - 2, comment.length, true);
    const zip = readZip(withComment, 'commented.zip');
    expect(zip.recovered).toBe(false);
    await checkAgainstBeam(zip);
  });

  for (const name of ['mixed.zip', 'streamed.zip']) {
    it(`every truncation of ${name} yields exactly the complete entries before the cut`, async () => {
      const bytes = load(name);
      const whole = readZip(bytes, name);
      const ends = entryEnds(bytes, whole);
      const contents = await Promise.all(whole.entries.map((e) => e.data()));
      for (let cut = 0; cut < bytes.length; cut++) {
        const zip = readZip(bytes.subarray(0, cut), name);
        expect(zip.recovered).toBe(true);
        // With data descriptors an entry is complete once its descriptor is there too.
        const descriptor = name === 'streamed.zip' ? 16 : 0;
        const complete = ends.filter((end) => end + descriptor <= cut).length;
        expect(
          zip.entries.map((e) => e.name),
          `cut at ${cut}`,
        ).toEqual(whole.entries.slice(0, complete).map((e) => e.name));
        const firstCut = whole.entries[complete];
        if (firstCut && cut > firstCut.offset + 30 + firstCut.name.length) {
          // Cut inside an entry whose name is readable: the warning names it and its offset.
          expect(zip.warnings.join('\n'), `cut at ${cut}`).toContain(`entry ${firstCut.name} at offset ${firstCut.offset} is truncated`);
        }
        if (cut % 53 === 0) {
          for (const [i, e] of zip.entries.entries()) expect(await e.data()).toEqual(contents[i]);
        }
      }
    });
  }

  it('recovers from a damaged central directory by scanning local headers', async () => {
    const bytes = load('mixed.zip').slice();
    const v = new DataView(bytes.buffer);
    const cdOffset = v.getUint32(bytes.length - 22 + 16, true);
    v.setUint32(cdOffset, 0xdeadbeef, true);
    const zip = readZip(bytes, 'damaged.zip');
    expect(zip.recovered).toBe(true);
    expect(zip.warnings[0]).toMatch(/damaged central directory/);
    await checkAgainstBeam(zip);
  });

  it('reports a CRC mismatch as a TraceReadError naming the file, the offset and the entry', async () => {
    const bytes = load('mixed.zip').slice();
    const entry = readZip(bytes, 'mixed.zip').entries.find((e) => e.name === 'notes.txt')!;
    expect(entry.method).toBe(0);
    const dataStart = entry.offset + 30 + 'notes.txt'.length;
    bytes[dataStart + 5] ^= 0x20;
    const err = await readZip(bytes, 'mixed.zip')
      .entries.find((e) => e.name === 'notes.txt')!
      .data()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceReadError);
    expect(err).toMatchObject({ file: 'mixed.zip', offset: entry.offset });
    expect((err as Error).message).toMatch(/notes\.txt: CRC-32 mismatch/);
  });

  it('reports corrupt deflate data as a TraceReadError', async () => {
    const bytes = load('mixed.zip').slice();
    const entry = readZip(bytes, 'mixed.zip').entries.find((e) => e.name === 'events/chunk-0001.bin')!;
    const dataStart = entry.offset + 30 + entry.name.length;
    for (let i = 0; i < 8; i++) bytes[dataStart + i] = 0xff;
    const err = await readZip(bytes, 'mixed.zip')
      .entries[1].data()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceReadError);
    expect(err).toMatchObject({ file: 'mixed.zip', offset: entry.offset });
  });

  it('crc32 matches the BEAM (erlang:crc32) on the fixture entries', async () => {
    const zip = readZip(load('mixed.zip'), 'mixed.zip');
    for (const [i, e] of zip.entries.entries()) expect(crc32(await e.data())).toBe(facts.entries[i].crc32);
  });
});

// Regression tests for zip bombs: an entry inflated fully before its declared size was checked
// (a 5 GiB bomb declared as 1,000 bytes ran to 5 GB before it was killed).
describe('readZip against zip bombs', () => {
  const bombError = async (zip: ZipArchive, name: string) => {
    const err = await zip.entries
      .find((e) => e.name === name)!
      .data()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(TraceReadError);
    return err as TraceReadError;
  };

  it('stops a 5 GiB bomb declared as 1,000 bytes at its declared size', async () => {
    const bomb = zeroBomb(5 * 1024);
    const bytes = buildZip([{ name: 'events/000000.etf', data: bomb, method: 8, size: 1000, crc32: 0 }]);
    const err = await bombError(readZip(bytes, 'bomb.zip'), 'events/000000.etf');
    expect(err.file).toBe('bomb.zip');
    expect(err.offset).toBe(0);
    expect(err.message).toMatch(/entry events\/000000\.etf: inflates past its declared size of 1000 bytes \(stopped after \d+ bytes\)/);
    // What was inflated before stopping: the declared size plus at most one output chunk, not gigabytes.
    const produced = Number(/stopped after (\d+) bytes/.exec(err.message)![1]);
    expect(produced).toBeGreaterThan(1000);
    expect(produced).toBeLessThanOrEqual(1000 + 64 * 1024);
  });

  it('refuses an entry declaring more than the per-entry limit before inflating it, naming both sizes', async () => {
    const bomb = zeroBomb(1024);
    const bytes = buildZip([{ name: 'facts/processes-start.etf', data: bomb, method: 8, size: 1024 * 1024 * 1024, crc32: 0 }]);
    const err = await bombError(readZip(bytes, 'honest-bomb.zip'), 'facts/processes-start.etf');
    expect(err.message).toBe(
      'honest-bomb.zip: at offset 0: entry facts/processes-start.etf: declares 1073741824 bytes (1.0 GiB) uncompressed, more than the per-entry limit of ' +
        '268435456 bytes (256.0 MiB); if the archive is trusted, raise the limit (CLI --max-entry-mb, engine option limits.maxEntryBytes)',
    );
  });

  it('reads the same entry once the per-entry limit is raised, and the per-archive limit bounds the sum', async () => {
    const mib16 = zeroBomb(16);
    const size = 16 * 1024 * 1024;
    const zeros = crc32(new Uint8Array(size));
    const bytes = buildZip([
      { name: 'a', data: mib16, method: 8, size, crc32: zeros },
      { name: 'b', data: mib16, method: 8, size, crc32: zeros },
    ]);
    const tight = readZip(bytes, 'two.zip', { maxEntryBytes: size - 1, maxArchiveBytes: Infinity });
    expect((await bombError(tight, 'a')).message).toMatch(/per-entry limit of 16777215 bytes/);
    const zip = readZip(bytes, 'two.zip', { maxEntryBytes: size, maxArchiveBytes: size + size / 2 });
    expect((await zip.entries[0].data()).length).toBe(size);
    const err = await bombError(zip, 'b');
    expect(err.message).toMatch(
      /entry b: declares 16777216 bytes \(16\.0 MiB\) uncompressed, which with the 16777216 bytes \(16\.0 MiB\) already read passes the per-archive limit of 25165824 bytes \(24\.0 MiB\); .*--max-archive-mb/,
    );
  });
});
