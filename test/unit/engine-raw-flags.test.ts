import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { Engine, type LoadReport } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { decodeTermAt } from '../../src/archive/etf/decode';
import { isAtom, isTuple, type Term } from '../../src/archive/etf/term';

// Raw dbg and ttb traces with every kind of trace message a real system writes (test/fixtures/raw/raw_flags.erl:
// ports, return_to, exception_trace, {caller}, seq_trace, garbage collection, running, set_on_spawn, every timestamp
// flavour), written by OTP 25 (raw/) and OTP 27 (otp27/raw/), loaded through the engine: what each trace tag becomes
// (docs/SCHEMA.md `events`), and what the load report says of the messages the schema has no place for.

const fixtures = path.resolve(__dirname, '../fixtures');
const SETS = [
  { otp: 25, dir: 'raw' },
  { otp: 27, dir: 'otp27/raw' },
];

function input(rel: string) {
  const p = path.join(fixtures, rel);
  if (statSync(p).isDirectory()) return readdirSync(p).map((f) => ({ name: `${rel}/${f}`, bytes: new Uint8Array(readFileSync(path.join(p, f))) }));
  return [{ name: rel, bytes: new Uint8Array(readFileSync(p)) }];
}

/** The trace messages of a trace-port file, decoded (frames `<<0, Size:32, Term:Size/binary>>`). */
function frames(rel: string): Term[] {
  const f = input(rel).find((x) => !x.name.endsWith('.ti'))!.bytes;
  const out: Term[] = [];
  for (let p = 0; p < f.length;) {
    const size = new DataView(f.buffer, f.byteOffset + p + 1, 4).getUint32(0);
    if (f[p] === 0) out.push(decodeTermAt(f.subarray(p + 5, p + 5 + size), 0).term);
    p += f[p] === 0 ? 5 + size : 5;
  }
  return out;
}

/** How many messages of the file carry each trace tag (`seq_trace` for sequential-trace messages). */
function tagCounts(rel: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of frames(rel)) {
    if (!isTuple(m) || !isAtom(m.items[0])) continue;
    const tag = m.items[0].name === 'seq_trace' ? 'seq_trace' : (m.items[2] as { name: string }).name;
    out[tag] = (out[tag] ?? 0) + 1;
  }
  return out;
}

async function load(rel: string): Promise<{ engine: Engine; report: LoadReport }> {
  const engine = await Engine.create(await openNodeDuckDb());
  const report = await engine.load(input(rel));
  return { engine, report };
}

const rows = (e: Engine, sql: string) => e.query(sql, 100_000).rows;
const one = (e: Engine, sql: string) => rows(e, sql)[0][0];

describe.each(SETS)('raw traces with every trace flag, written by OTP $otp', ({ dir }) => {
  let ts: { engine: Engine; report: LoadReport };
  beforeAll(async () => {
    ts = await load(`${dir}/flags-ts.trace`);
  }, 60_000);

  test('loads without errors; what the schema has no place for is counted in the load report', () => {
    const tags = tagCounts(`${dir}/flags-ts.trace`);
    expect(ts.report.errors).toEqual([]);
    expect(ts.report.warnings).toEqual(
      expect.arrayContaining(
        (['return_to', 'seq_trace'] as const).map((tag) =>
          // and where the first of them is
          expect.stringMatching(new RegExp(`^skipped ${tags[tag]} trace messages: ${tag} \\(the first in \\S*flags-ts\\.trace at offset \\d+\\)$`)),
        ),
      ),
    );
    // nothing else is skipped: port open/closed are events now
    expect(ts.report.warnings.filter((w) => w.startsWith('skipped'))).toHaveLength(2);
  });

  // Regression test for port `open` / `closed`, skipped as unsupported trace tags.
  test("a port's open is a spawn by its opener (term: the driver), its closed an exit; the port is no process", () => {
    const e = ts.engine;
    const [[driver, port, term]] = rows(e, `SELECT pid, peer, term FROM events WHERE kind = 'spawn' AND peer LIKE '#Port<%'`);
    expect(port).toMatch(/^#Port<0\.\d+>$/);
    expect(term).toBe(':cat');
    expect(rows(e, `SELECT kind, term FROM events WHERE pid = '${port}' AND kind IN ('exit', 'register', 'unregister') ORDER BY seq`)).toEqual([
      ['register', ':raw_port'],
      ['unregister', ':raw_port'],
      ['exit', ':normal'],
    ]);
    // the driver's unlink and link of the port, each once (the port's getting_unlinked / getting_linked folded in)
    expect(rows(e, `SELECT kind, pid, peer FROM events WHERE kind IN ('link', 'unlink') AND (pid = '${port}' OR peer = '${port}') ORDER BY seq`)).toEqual([
      ['link', driver, port],
      ['unlink', driver, port],
      ['link', driver, port],
      ['unlink', port, driver], // the port's exit unlinks it
    ]);
    // the port's own message traffic pairs with the driver's
    expect(rows(e, `SELECT status, count(*)::INTEGER FROM messages WHERE to_pid = '${port}' OR from_pid = '${port}' GROUP BY ALL ORDER BY 1`)).toEqual([
      ['received', 3], // Port ! {self(), {command, ...}}, and the port's two {data, ...} answers
      ['sender_not_traced', 2], // port_command/2 and port_close/1 are no sends
    ]);
    expect(rows(e, `SELECT pid FROM processes WHERE pid NOT LIKE '<%'`)).toEqual([]);
    // a port's in/out say what it ran
    expect(rows(e, `SELECT DISTINCT term FROM events WHERE pid = '${port}' AND kind = 'in' AND term IS NOT NULL ORDER BY 1`)).toEqual(
      expect.arrayContaining([[':close'], [':command'], [':link'], [':open'], [':unlink']]),
    );
  });

  test('gc events keep which collection phase they are: {tag, info}', () => {
    const tags = tagCounts(`${dir}/flags-ts.trace`);
    const got = Object.fromEntries(
      rows(ts.engine, `SELECT regexp_extract(term, '^\\{:(gc_[a-z_]+), \\[', 1) AS t, count(*)::INTEGER FROM events WHERE kind = 'gc' GROUP BY t`),
    );
    expect(got).toEqual(Object.fromEntries(Object.entries(tags).filter(([t]) => t.startsWith('gc_'))));
  });

  test("a call's match-spec message ({caller}) is its peer; return_trace and exception_trace give return and exception", () => {
    const e = ts.engine;
    expect(
      rows(e, `SELECT mfa, peer, term FROM events WHERE kind = 'call' AND mfa = ':raw_flags.handle_call/3' ORDER BY seq`).map((r) => r.slice(0, 2)),
    ).toEqual([
      [':raw_flags.handle_call/3', '{:gen_server, :try_handle_call, 4}'],
      [':raw_flags.handle_call/3', '{:gen_server, :try_handle_call, 4}'],
    ]);
    expect(rows(e, `SELECT mfa, term FROM events WHERE kind = 'exception'`)).toEqual([[':raw_flags.crash/1', '{:error, :badarith}']]);
    expect(rows(e, `SELECT term FROM events WHERE kind = 'return' AND mfa = ':raw_flags.risky/1'`)).toEqual([[':caught']]);
    // the states follow the callbacks
    expect(rows(e, `SELECT callback, state FROM states ORDER BY seq`)).toEqual([
      ['init', '0'],
      ['handle_call', '1'],
      ['handle_cast', '2'],
      ['handle_call', '2'],
    ]);
    // the two calls and the server's stop (`:sys`'s terminate request)
    expect(rows(e, `SELECT outcome, count(*)::INTEGER FROM calls GROUP BY ALL`)).toEqual([['reply', 3]]);
  });

  test('the crash, the send to the dead process and the processes of the workload', () => {
    const e = ts.engine;
    expect(rows(e, `SELECT kind, summary LIKE '%exited: {:badarith, %' FROM anomalies WHERE kind IN ('crash', 'send_to_dead') ORDER BY 1`)).toEqual([
      ['crash', true],
      ['send_to_dead', false],
    ]);
    expect(one(e, `SELECT count(*)::INTEGER FROM processes WHERE name = ':raw_counter' AND initial_call = ':raw_flags.init/1'`)).toBe(1);
  });

  // (Scheduling, garbage collections and the runtime's own messages differ from run to run; the rest does not.)
  test.each(['mono', 'strict', 'arity', 'sos'])(
    'flags-%s.trace: the same events as flags-ts.trace',
    async (flavour) => {
      const { engine, report } = await load(`${dir}/flags-${flavour}.trace`);
      expect(report.errors).toEqual([]);
      const kinds = (e: Engine) =>
        Object.fromEntries(rows(e, `SELECT kind, count(*)::INTEGER FROM events WHERE kind NOT IN ('in', 'out', 'gc', 'send', 'receive') GROUP BY kind`));
      const want = kinds(ts.engine);
      if (flavour === 'sos') {
        // only the driver and what it spawned: no port events (ports do not inherit), the driver's spawn not traced
        for (const k of ['register', 'unregister']) want[k] -= 1;
        want.spawn -= 2;
        want.exit -= 1;
      }
      expect(kinds(engine)).toEqual(want);
      if (flavour === 'arity') expect(one(engine, `SELECT count(*)::INTEGER FROM events WHERE kind = 'call' AND (term IS NOT NULL OR mfa IS NULL)`)).toBe(0);
      // the timeline is in file order: ts never goes back
      expect(one(engine, `SELECT count(*)::INTEGER FROM (SELECT ts < lag(ts) OVER (ORDER BY ord) AS back FROM events) WHERE back`)).toBe(0);
    },
    60_000,
  );

  // Regression test for cpu_timestamp traces: CPU-time {Mega, Sec, Micro} was taken for wall-clock time, and the
  // scheduler threads' CPU clocks disagree, so ordering by ts shuffled the events.
  test('flags-cpu.trace: CPU-time timestamps keep the file order and are said to be CPU time', async () => {
    const { engine, report } = await load(`${dir}/flags-cpu.trace`);
    expect(report.errors).toEqual([]);
    const stamped = frames(`${dir}/flags-cpu.trace`).filter((m) => isTuple(m) && isAtom(m.items[0], 'trace_ts')).length;
    expect(report.warnings).toContain(
      `kept ${stamped} trace messages: its timestamp is CPU time (the cpu_timestamp trace flag), not wall-clock time: ts is that CPU time since the epoch, raised where a scheduler thread lagged so the events keep the file order`,
    );
    expect(rows(engine, `SELECT seq FROM events ORDER BY ord`)).toEqual(rows(engine, `SELECT seq FROM events ORDER BY seq`));
    expect(one(engine, `SELECT count(*)::INTEGER FROM events WHERE kind = 'exit' AND term LIKE '{:badarith%'`)).toBe(1);
  }, 60_000);

  // Regression test for the runtime's placeholder pid (<0.32767.8191>; OTP 26+ <0.268435455.4294967295>): the forker
  // port's messages to the runtime made it a send destination.
  test("ttb-ports: a ttb upload with the forker port traced; the runtime's placeholder pid is no peer and no process", async () => {
    const { engine, report } = await load(`${dir}/ttb-ports`);
    expect(report.errors).toEqual([]);
    expect(report.sources.map((s) => s.kind)).toEqual(['ttb']);
    expect(report.warnings).toContain(
      "kept 1 trace message: send to the runtime's placeholder pid (<0.32767.8191>, OTP 26+ <0.268435455.4294967295>), without a peer (it names no process)",
    );
    const placeholder = `(peer LIKE '<0.32767.%' OR peer LIKE '<0.268435455.%' OR pid LIKE '<0.32767.%' OR pid LIKE '<0.268435455.%')`;
    expect(one(engine, `SELECT count(*)::INTEGER FROM events WHERE ${placeholder}`)).toBe(0);
    expect(rows(engine, `SELECT pid FROM processes WHERE pid NOT LIKE '<%' OR pid LIKE '<0.32767.%' OR pid LIKE '<0.268435455.%'`)).toEqual([]);
    // (what the forker sent it is its answer to the runtime's port_control: a port reply, no message)
    expect(rows(engine, `SELECT status, to_pid FROM messages m JOIN events s ON s.seq = m.send_seq WHERE s.pid = '#Port<0.0>'`)).toEqual([
      ['port_reply', null],
    ]);
    // the registered port's name, from the .ti, still resolves a send by name
    expect(rows(engine, `SELECT name, pid LIKE '#Port<%' FROM registrations WHERE name = ':raw_port'`)).toEqual([[':raw_port', true]]);
  }, 60_000);
});
