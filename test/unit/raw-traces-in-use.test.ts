import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readDbgFile } from '../../src/archive/dbg';
import { groupInputs } from '../../src/archive/formats';
import { summarize } from '../../src/cli/summary';
import { loadFixtures as load, readFixture as read, readFixtureFolder as folder } from '../support/raw-fixtures';

// Raw traces taken the way people take them (test/fixtures/raw/raw_names.erl, as OTP 25 and OTP 27 write them):
// tracing a server registered before the trace began, ttb's {local, {wrap, ...}} logs of two nodes, and the dbg files
// of several nodes named by number.

const fixtures = path.resolve(__dirname, '../fixtures');

describe('raw traces as users take them', () => {
  // Regression test for sends to a name registered before the trace began: no register event said who held it, so
  // with dbg:p/2 on the server itself every cast and `!` to its name stayed unpaired (receiver_not_traced on the
  // send, sender_not_traced on the server's receive).
  for (const dir of ['raw', 'otp27/raw']) {
    test(`${dir}/names-before.trace: the cast and the send to its name pair with the server's receive`, async () => {
      const { engine } = await load([read(`${dir}/names-before.trace`)]);
      const rows = engine.query(
        `SELECT m.status, m.to_pid = r.pid, r.pid = (SELECT pid FROM events WHERE kind = 'receive' AND term LIKE '{:"$gen_call"%' LIMIT 1), m.msg
         FROM messages m JOIN events s ON s.seq = m.send_seq LEFT JOIN events r ON r.seq = m.recv_seq
         WHERE s.peer = ':raw_names_srv' ORDER BY m.send_seq`,
      ).rows;
      expect(
        rows.map((r) => [
          r[0],
          r[1],
          r[2],
          String(r[3])
            .replace(/#Reference<[0-9.]+>/g, 'R')
            .replace(/#PID<[0-9.]+>/g, 'P'),
        ]),
      ).toEqual([
        ['received', true, true, '{:"$gen_cast", {:add, 2}}'],
        ['received', true, true, ':hello'],
      ]);
      // no half of a message to or from the server is left over
      expect(
        engine.query(`SELECT count(*)::INTEGER FROM messages WHERE status IN ('receiver_not_traced', 'sender_not_traced') AND msg <> ':go' AND msg <> ':done'`)
          .rows,
      ).toEqual([[0]]);
    });
  }

  // Regression test for ttb's {local, ...} logs: dbg's trace client ends a trace with the atom end_of_trace, and
  // ttb's handler writes it into the log like a trace message; it was reported as "skipped 1 trace message: not a
  // trace message".
  test('raw/ttb-local-wrap (OTP 25): the end_of_trace marker ending a log is no skipped message', async () => {
    const files = folder('raw/ttb-local-wrap');
    expect(files.some((f) => Buffer.from(f.bytes).includes('end_of_trace'))).toBe(true);
    const { engine, report } = await load(files);
    expect(report.warnings).toEqual([]);
    expect(engine.query(`SELECT DISTINCT node FROM events ORDER BY node`).rows).toEqual([['attbwrap@vm'], ['e@vm']]);
  });

  // Regression test for the summary of several nodes: its busiest processes were listed by pid alone, and two nodes'
  // <0.85.0> looked like one process listed twice.
  test("the summary of a trace of two nodes names each busy process's node", async () => {
    const { engine, report } = await load(folder('raw/ttb-local-wrap'));
    const text = await summarize(engine, report);
    const busy = text.slice(text.indexOf('busiest processes:\n'), text.indexOf('\nanomalies:')).split('\n').slice(1);
    expect(busy.length).toBeGreaterThan(1);
    for (const line of busy) expect(line).toMatch(/^ {2}(attbwrap|e)@vm (<0\.\d+\.\d+>|#Port<0\.\d+>) /);
  });

  // Regression test for an empty ttb log (OTP 27's local node wrote nothing to its {local, {wrap, ...}} log): the
  // empty file was "skipped, not a trace file" and its .ti said "no trace log ... in the folder", though it was there.
  test('otp27/raw/ttb-local-wrap: an empty log is read as a log with no events, and said to be empty', async () => {
    const files = folder('otp27/raw/ttb-local-wrap');
    const empty = files.find((f) => f.bytes.length === 0)!;
    expect(empty.name).toMatch(/raw_names_gen@vm-lw\.0\.wrp$/);
    const { engine, report } = await load(files);
    expect(report.warnings).toEqual([`${empty.name}: empty trace log: it holds no trace message of raw_names_gen@vm`]);
    expect(report.sources.map((s) => s.kind)).toEqual(['ttb']);
    // the empty log's .ti still names the processes of its node
    expect(engine.query(`SELECT count(*) > 0 FROM processes WHERE node = 'raw_names_gen@vm' AND name IS NOT NULL`).rows).toEqual([[true]]);
  });

  // Regression test for a node traced while its distribution stops (test/fixtures/raw/raw_stop.erl; a node traced
  // until init:stop/0 does the same): the trace messages written after the stop (and ttb's pid records, written as it
  // stops) name its processes as pids of nonode@nohost, and the second half of the trace was another node's, with
  // its own copies of the same processes.
  for (const input of ['raw/stop.trace', 'raw/ttb-stop', 'otp27/raw/stop.trace', 'otp27/raw/ttb-stop']) {
    test(`${input}: events after the node's distribution stopped stay the traced node's`, async () => {
      const { engine } = await load(input.endsWith('.trace') ? [read(input)] : folder(input));
      expect(engine.query(`SELECT DISTINCT node FROM events UNION SELECT DISTINCT node FROM processes`).rows).toEqual([['raw_stop_gen@vm']]);
      expect(engine.query(`SELECT DISTINCT peer_node FROM events WHERE peer_node IS NOT NULL`).rows).toEqual([['raw_stop_gen@vm']]);
      // the worker's whole life is one process: spawned, two requests answered, exit after the stop
      const worker = engine.query(`SELECT peer FROM events WHERE kind = 'spawn' AND mfa LIKE ':raw_stop.worker/%'`).rows;
      expect(worker).toHaveLength(1);
      expect(engine.query(`SELECT count(*)::INTEGER, min(exit_reason) FROM processes WHERE pid = '${String(worker[0][0])}'`).rows).toEqual([[1, ':done']]);
      expect(engine.query(`SELECT msg, status FROM messages WHERE to_pid = '${String(worker[0][0])}' ORDER BY sent_at`).rows).toEqual([
        [expect.stringMatching(/:before}$/), 'received'],
        [expect.stringMatching(/:after}$/), 'received'],
        [':stop', 'received'],
      ]);
    });
  }

  // Regression test for the dbg files of several nodes named by number (`dbg:tracer(Node, port, trace_port(file,
  // "nodeN.trace"))` on each): they were taken for one wrap set, read one after the other as one node's trace, and
  // three of them (counters 1, 3, 5) were "an inconsistent wrap file set" that loaded nothing.
  test('dbg files of different nodes named like a wrap set are separate sources', async () => {
    const [a, b, c] = [read('raw/names-before.trace'), read('otp27/raw/ttb-local-wrap/raw_names_peer@vm-lw.0.wrp'), read('raw/ttb-local-wrap/e@vm-lw.0.wrp')];
    const named = (name: string, f: { bytes: Uint8Array }) => ({ name, bytes: f.bytes });
    const two = groupInputs([named('node1.trace', a), named('node2.trace', b)]);
    expect(two.errors).toEqual([]);
    expect(two.groups.map((g) => [g.kind, g.name])).toEqual([
      ['dbg', 'node1.trace'],
      ['dbg', 'node2.trace'],
    ]);
    const { engine, report } = await load([named('n1.trace', a), named('n3.trace', b), named('n5.trace', c)]);
    expect(report.sources.map((s) => [s.name, s.node])).toEqual([
      ['n1.trace', 'nonode@nohost'],
      ['n3.trace', 'raw_names_peer@vm'],
      // its first event is a spawn by a process of attbwrap@vm (a remote spawn), but the log is e@vm's
      ['n5.trace', 'e@vm'],
    ]);
    expect(engine.query(`SELECT count(DISTINCT src)::INTEGER FROM events`).rows).toEqual([[3]]);
    // a real wrap set (one node's files) stays one source
    const wrap = readdirSync(path.join(fixtures, 'dbg'))
      .filter((f) => /^wrap-\d+\.trace$/.test(f))
      .map((f) => read(`dbg/${f}`));
    expect(groupInputs(wrap).groups).toHaveLength(1);
  });

  test('a skipped trace message is reported with the file and offset of the first of its kind', () => {
    // External term format by hand: 131, then SMALL_ATOM_UTF8 (119), SMALL_INTEGER (97), SMALL_TUPLE (104), NEW_PID (88).
    const a = (name: string) => [119, name.length, ...Buffer.from(name)];
    const tup = (...items: number[][]) => [104, items.length, ...items.flat()];
    const u32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    const pid = [88, ...a('n@h'), ...u32(1), ...u32(0), ...u32(1)];
    const frame = (term: number[]) => Uint8Array.from([0, ...u32(term.length + 1), 131, ...term]);
    const frames = [
      frame(tup(a('trace'), pid, a('exit'), a('normal'))),
      frame(tup(a('trace'), pid, a('no_such_tag'), [97, 1])),
      frame(tup(a('trace'), pid, a('no_such_tag'), [97, 2])),
      frame(a('end_of_trace')),
    ];
    const bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let off = 0;
    for (const f of frames) (bytes.set(f, off), (off += f.length));
    const gen = readDbgFile(bytes, 'x.trace');
    let r = gen.next();
    while (!r.done) r = gen.next();
    expect(r.value.events).toBe(1);
    expect(r.value.warnings).toEqual([`skipped 2 trace messages: unsupported trace tag no_such_tag (the first in x.trace at offset ${frames[0].length})`]);
  });
});
