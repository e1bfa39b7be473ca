import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { RAW_TABLES } from '../../src/engine/ingest/event-sink';
import { orderWrapFiles } from '../../src/archive/dbg';

// Raw dbg trace-port files and a ttb upload folder (written by real OTP, see
// test/fixtures/gen-traces.sh) loaded through the engine; expected counts come
// from OTP's own dbg:trace_client reading of the same files.

const fixtures = path.resolve(__dirname, '../fixtures');
const read = (p: string) => ({ name: p, bytes: new Uint8Array(readFileSync(path.join(fixtures, p))) });

/** Engine kinds for OTP's trace tags; spawn/spawned and the two sides of a link fold into one event each. */
function expectedKinds(tagCounts: Record<string, number>, spawnedChildren: number): Record<string, number> {
  const map: Record<string, string> = { exception_from: 'exception', return_from: 'return', send_to_non_existing_process: 'send_to_dead' };
  const out: Record<string, number> = {};
  for (const [tag, n] of Object.entries(tagCounts)) {
    if (tag === 'spawned' || tag === 'spawn' || tag.startsWith('getting_')) continue;
    const kind = map[tag] ?? tag;
    out[kind] = (out[kind] ?? 0) + n;
  }
  out.spawn = spawnedChildren;
  return out;
}

describe('raw traces through the engine', () => {
  test('a dbg trace-port file: every message becomes an event of the right kind', async () => {
    const facts = JSON.parse(readFileSync(path.join(fixtures, 'dbg/pingpong.trace.json'), 'utf8'));
    const engine = await Engine.create(await openNodeDuckDb());
    const report = await engine.load([read('dbg/pingpong.trace')]);
    expect(report.errors).toEqual([]);
    expect(report.sources[0].kind).toBe('dbg');
    const kinds = Object.fromEntries(engine.query(`SELECT kind, count(*)::INTEGER FROM events GROUP BY kind`).rows);
    expect(kinds).toEqual(expectedKinds(facts.tagCounts, facts.spawnedChildren.length));
    // Twenty-one calls, and the :sys call that stops the server ({:system, from, {:terminate, :normal}}), each
    // answered: calls pair through the reply alias.
    const calls = engine.query(`SELECT outcome, count(*)::INTEGER FROM calls GROUP BY ALL`).rows;
    const requests = engine.query(`SELECT count(*)::INTEGER FROM events WHERE kind = 'send' AND (term LIKE '{:"$gen_call"%' OR term LIKE '{:system, %')`)
      .rows[0][0];
    expect(requests).toBe(22);
    expect(calls).toEqual([['reply', requests]]);
  });

  test('a dbg wrap-file set loads as one trace', async () => {
    const facts = JSON.parse(readFileSync(path.join(fixtures, 'dbg/wrap.json'), 'utf8'));
    const engine = await Engine.create(await openNodeDuckDb());
    const files = readdirSync(path.join(fixtures, 'dbg')).filter((f) => /^wrap-\d+\.trace$/.test(f));
    const report = await engine.load(files.map((f) => read(`dbg/${f}`)));
    expect(report.errors).toEqual([]);
    expect(report.sources).toHaveLength(1);
    const n = engine.query(`SELECT count(*)::INTEGER FROM events`).rows[0][0];
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(facts.frames ?? Number.MAX_SAFE_INTEGER);
  });

  test('a bad frame part-way through a wrap set keeps every frame before it and reports where it stopped', async () => {
    // One row per batch: every wrap file read before the corrupt one is already in DuckDB when the bad frame comes.
    const engine = await Engine.create(await openNodeDuckDb(), { flushRows: 1 });
    await engine.load([read('archives/demo.zip')]);
    const count = (sql: string) => Number(engine.query(sql).rows[0][0]);
    const before = count('SELECT count(*) FROM events');
    const names = readdirSync(path.join(fixtures, 'dbg')).filter((f) => /^wrap-\d+\.trace$/.test(f));
    const ordered = orderWrapFiles(names);
    const files = names.map((f) => read(`dbg/${f}`));
    const whole = await Engine.create(await openNodeDuckDb());
    expect((await whole.load(files)).errors).toEqual([]);
    const last = files.find((f) => f.name === `dbg/${ordered.at(-1)}`)!;
    // The second frame's op byte: the file still looks like a trace, its reading stops part-way.
    const bad = { name: last.name, bytes: last.bytes.slice() };
    const second = 5 + new DataView(bad.bytes.buffer).getUint32(1);
    bad.bytes[second] = 7;
    const report = await engine.load(files.map((f) => (f === last ? bad : f)));
    expect(report.errors).toHaveLength(1);
    const kept = count('SELECT count(*) FROM events WHERE src = 1');
    expect(report.errors[0]).toEqual({
      file: expect.stringContaining('wrap-'),
      offset: second,
      message: `dbg/${ordered.at(-1)}: at offset ${second}: bad trace frame op 7 (expected 0 = term or 1 = drop); the ${kept} events read are loaded, the rest of dbg/${ordered.at(-1)} is not`,
    });
    // the earlier wrap files whole, and of the last one only its first frame
    const wholeCount = Number(whole.query('SELECT count(*) FROM events').rows[0][0]);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(wholeCount);
    expect(report.sources.map((s) => [s.kind, s.events])).toEqual([['dbg', kept]]);
    expect(count('SELECT count(*) FROM events')).toBe(before + kept);
  });

  test('a file that fails before any frame could be read leaves no rows and no meta behind', async () => {
    const engine = await Engine.create(await openNodeDuckDb(), { flushRows: 1 });
    await engine.load([read('archives/demo.zip')]);
    const count = (sql: string) => Number(engine.query(sql).rows[0][0]);
    const before = count('SELECT count(*) FROM events');
    const metaBefore = count('SELECT count(*) FROM meta');
    const f = read('dbg/pingpong.trace');
    const bytes = f.bytes.slice();
    bytes[6] = 200; // the first term's first tag (after 131): no such tag
    const report = await engine.load([{ name: f.name, bytes }]);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0].message).toMatch(/^dbg\/pingpong\.trace: at offset 0: corrupt trace frame: .*200/);
    for (const [table] of RAW_TABLES) expect(count(`SELECT count(*) FROM ${table} WHERE src = 1`)).toBe(0);
    expect(count('SELECT count(*) FROM events')).toBe(before);
    expect(count('SELECT count(*) FROM meta')).toBe(metaBefore);
    // The next file gets the next source number and loads normally.
    const again = await engine.load([read('dbg/pingpong.trace')]);
    expect(again.errors).toEqual([]);
    expect(count('SELECT count(DISTINCT src) FROM events')).toBe(2);
  });

  test('a trace whose frames hold compressed terms (term_to_binary(T, [compressed])) loads as the plain one', async () => {
    const plain = await Engine.create(await openNodeDuckDb());
    const compressed = await Engine.create(await openNodeDuckDb());
    expect((await plain.load([read('dbg/pingpong.trace')])).errors).toEqual([]);
    expect((await compressed.load([read('dbg/pingpong-compressed.trace')])).errors).toEqual([]);
    const all = (e: Engine) => e.query('SELECT seq, ts, node, pid, kind, peer, mfa, term FROM events ORDER BY seq', 100_000).rows;
    expect(all(compressed).length).toBeGreaterThan(100);
    expect(all(compressed)).toEqual(all(plain));
  });

  test('a ttb upload folder: events from the log, process names from the .ti file', async () => {
    const facts = JSON.parse(readFileSync(path.join(fixtures, 'ttb/upload.json'), 'utf8'));
    const engine = await Engine.create(await openNodeDuckDb());
    const files = readdirSync(path.join(fixtures, 'ttb/upload')).map((f) => read(`ttb/upload/${f}`));
    const report = await engine.load(files);
    expect(report.errors).toEqual([]);
    expect(report.sources[0].kind).toBe('ttb');
    const kinds = Object.fromEntries(engine.query(`SELECT kind, count(*)::INTEGER FROM events GROUP BY kind`).rows);
    expect(kinds).toEqual(expectedKinds(facts.tagCounts, facts.spawnedChildren.length));
    const echo = facts.processes.find((p: { info: { atom?: string } }) => p.info.atom === 'otps_echo');
    expect(engine.query(`SELECT name FROM processes WHERE pid = '${echo.pid}'`).rows).toEqual([[':otps_echo']]);
  });

  // Regression test for sends to a port (`Port ! {self(), {command, Data}}`): the send's destination was read as a
  // registered name, so the port's traced receive stayed `sender_not_traced` and the send `receiver_not_traced`.
  test('a send to a port pairs with the receive traced on that port (raw/port-send.trace)', async () => {
    const engine = await Engine.create(await openNodeDuckDb());
    expect((await engine.load([read('raw/port-send.trace')])).errors).toEqual([]);
    const rows = engine.query(
      `SELECT m.status, m.to_pid, r.pid FROM messages m JOIN events s ON s.seq = m.send_seq LEFT JOIN events r ON r.seq = m.recv_seq
       WHERE s.peer LIKE '#Port<%'`,
    ).rows;
    expect(rows).toHaveLength(1);
    const port = rows[0][1];
    expect(port).toMatch(/^#Port<0\.\d+>$/);
    expect(rows).toEqual([['received', port, port]]);
    expect(engine.query(`SELECT count(*)::INTEGER FROM messages WHERE to_pid = '${port}' AND status = 'sender_not_traced'`).rows).toEqual([[1]]);
  });
});
