import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Term } from '../../src/archive/etf/term';
import type { DbgReadSummary, NamedBytes } from '../../src/archive/dbg';
import { readTraceInfoRecords, readTtbFolder } from '../../src/archive/ttb';
import { TraceReadError, TraceStoppedError } from '../../src/archive/trace-event';
import type { EventKind, TraceBatch, TraceEvent } from '../../src/archive/trace-event';
import { readUntilStopped } from '../support/read-until-stopped';

// Upload folders written by ttb:stop([{fetch_dir, Dir}]) in test/fixtures/gen-traces.sh;
// upload*.json hold what the BEAM read from them (the .ti records as ttb:get_term/1
// reads them, the logs through dbg:trace_client/3).
// The same runs are made by OTP 25 (ttb/) and OTP 27 (otp27/ttb/, in the trixie chroot).
const root = new URL('../fixtures/ttb/', import.meta.url);
const OTP_SETS = [
  { otp: 25, root },
  { otp: 27, root: new URL('../fixtures/otp27/ttb/', import.meta.url) },
];
function folder(name: string, prefix = '', from = root): NamedBytes[] {
  const dir = new URL(`${name}/`, from);
  return readdirSync(dir).map((f) => ({ name: prefix + f, bytes: new Uint8Array(readFileSync(new URL(f, dir))) }));
}
interface Facts {
  files: string[];
  logs: { ti: string; files: string[]; frames: number }[];
  tiKeys: string[];
  tiRecords: number;
  tiNonPid: unknown[];
  processes: { pid: string; node: string; info: unknown }[];
  frames: number;
  tagCounts: Record<string, number>;
  pids: string[];
  nodes: string[];
  spawnedChildren: string[];
  linkPairs: number;
  unlinkPairs: number;
  digest: [string, string, string | null][];
}
const facts = (name: string, from = root) => JSON.parse(readFileSync(new URL(`${name}.json`, from), 'utf8')) as Facts;

/** gen_traces.erl's j/1 rendering (enough of it for .ti values). */
function j(t: Term): unknown {
  if (typeof t === 'number' || typeof t === 'bigint') return { int: String(t) };
  if (t instanceof Uint8Array) return { bin: Array.from(t) };
  if (Array.isArray(t)) return t.map(j);
  switch (t.t) {
    case 'atom':
      return { atom: t.name };
    case 'tuple':
      return { tuple: t.items.map(j) };
    case 'pid':
      return { pid: pidText(t), node: t.node.name };
    default:
      return { other: t.t };
  }
}
const pidText = (p: Term) =>
  typeof p === 'object' && !Array.isArray(p) && !(p instanceof Uint8Array) && p.t === 'pid' ? `<0.${p.id}.${p.serial}>` : String(p);

function drain(gen: Generator<TraceBatch, DbgReadSummary, void>) {
  const batches: TraceBatch[] = [];
  for (;;) {
    const r = gen.next();
    if (r.done) return { batches, events: batches.flatMap((b) => b.events), summary: r.value };
    batches.push(r.value);
  }
}

const ONE_TO_ONE: Record<string, EventKind> = {
  send: 'send',
  send_to_non_existing_process: 'send_to_dead',
  receive: 'receive',
  call: 'call',
  return_from: 'return',
  exception_from: 'exception',
  exit: 'exit',
  register: 'register',
  unregister: 'unregister',
};

function checkLogAgainstBeam(f: Facts, events: TraceEvent[], summary: DbgReadSummary) {
  expect(summary.frames).toBe(f.frames);
  const kinds: Partial<Record<EventKind, number>> = {};
  for (const e of events) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
  const want: Partial<Record<EventKind, number>> = {};
  for (const [tag, n] of Object.entries(f.tagCounts)) if (ONE_TO_ONE[tag]) want[ONE_TO_ONE[tag]] = (want[ONE_TO_ONE[tag]] ?? 0) + n;
  if (f.spawnedChildren.length) want.spawn = f.spawnedChildren.length;
  if (f.linkPairs) want.link = f.linkPairs;
  if (f.unlinkPairs) want.unlink = f.unlinkPairs;
  expect(kinds).toEqual(want);
  const beam = f.digest.filter(([tag]) => ONE_TO_ONE[tag]);
  const ours = events.filter((e) => Object.values(ONE_TO_ONE).includes(e.kind));
  expect(ours.map((e) => [e.kind, pidText(e.pid), e.node, e.ts])).toEqual(beam.map(([tag, pid, ts]) => [ONE_TO_ONE[tag], pid, f.nodes[0], BigInt(ts!)]));
}

describe.each(OTP_SETS)('ttb upload folders written by OTP $otp', ({ root }) => {
  it('reads a ttb upload folder: the log matched to its .ti, events as dbg:trace_client read them', () => {
    const f = facts('upload', root);
    const files = folder('upload', 'upload/', root);
    const ttb = readTtbFolder(files);
    expect(ttb.traceInfo.map((t) => [t.tiFile, t.logFiles])).toEqual(f.logs.map((l) => [`upload/${l.ti}`, l.files.map((x) => `upload/${x}`)]));
    const { batches, events, summary } = drain(ttb.batches);
    checkLogAgainstBeam(f, events, summary);
    expect(batches[0].processes).toBe(ttb.processes);
    expect(ttb.warnings.filter((w) => !w.startsWith('skipped'))).toEqual([]);
  });

  it('turns {pid, {Pid, Name | InitialMFA}} records into process facts, the rest into trace info', () => {
    const f = facts('upload', root);
    const ttb = readTtbFolder(folder('upload', '', root));
    // One fact per pid; ttb keeps the last definition, we merge name and initial call.
    const want = new Map<string, { name?: unknown; initialCall?: unknown }>();
    for (const p of f.processes) {
      const w = want.get(p.pid) ?? {};
      const info = p.info as { atom?: string; tuple?: unknown[] };
      if (info.atom) w.name = info.atom;
      else w.initialCall = (info.tuple as { atom?: string; int?: string }[]).map((x) => x.atom ?? Number(x.int));
      want.set(p.pid, w);
    }
    expect(ttb.processes.length).toBe(want.size);
    for (const fact of ttb.processes) {
      const w = want.get(pidText(fact.pid))!;
      expect(fact.node).toBe(f.processes[0].node);
      expect({
        name: (fact.name as { name?: string } | undefined)?.name,
        initialCall: fact.initialCall?.map((x) => (typeof x === 'number' ? x : x.name)),
      }).toEqual({ name: w.name, initialCall: w.initialCall });
    }
    const [ti] = ttb.traceInfo;
    expect(Object.keys(ti.info).sort()).toEqual(f.tiKeys.filter((k) => k !== 'pid'));
    expect(ti.node).toBe(f.processes[0].node);
    expect(Object.entries(ti.info).flatMap(([k, vs]) => vs.map((v) => ({ tuple: [{ atom: k }, j(v)] })))).toEqual(
      expect.arrayContaining((f.tiNonPid as { tuple: [unknown, unknown] }[]).filter((t) => JSON.stringify(t).length < 2000)),
    );
  });

  it('names a globally registered process {global, Name} (its .ti record), with no warning', () => {
    const f = facts('upload-global', root);
    const want = f.processes.find((p) => JSON.stringify(p.info).includes('"global"'))!;
    const ttb = readTtbFolder(folder('upload-global', '', root));
    const fact = ttb.processes.find((p) => pidText(p.pid) === want.pid)!;
    expect(j(fact.name!)).toEqual(want.info);
    expect(ttb.warnings.filter((w) => !w.startsWith('skipped'))).toEqual([]);
    const { events, summary } = drain(ttb.batches);
    checkLogAgainstBeam(f, events, summary);
  });

  it("reads a {'$size', N} record (a trace-info term over 255 bytes) from a real .ti", () => {
    const ti = readTtbFolder(folder('upload', '', root)).traceInfo[0];
    const note = ti.info.otpscope_note[0] as Uint8Array[];
    expect(note.length).toBe(20);
    expect(new TextDecoder().decode(note[0])).toBe('a long trace-info value');
    const records = readTraceInfoRecords(folder('upload', '', root).find((x) => x.name.endsWith('.ti'))!.bytes, 'x.ti');
    expect(records.length).toBe(facts('upload', root).tiRecords);
  });

  it('reads a wrap-logging ttb run: the .ti matched to <log>.<N>.wrp, ordered like dbg', () => {
    const f = facts('upload-wrap', root);
    const ttb = readTtbFolder(folder('upload-wrap', '', root).reverse());
    expect(ttb.traceInfo[0].logFiles).toEqual(f.logs[0].files);
    const { events, summary } = drain(ttb.batches);
    checkLogAgainstBeam(f, events, summary);
  });

  it('merges the logs of several .ti/log pairs on one timeline', () => {
    const a = facts('upload', root);
    const b = facts('upload-wrap', root);
    const ttb = readTtbFolder([...folder('upload-wrap', 'w/', root), ...folder('upload', 'u/', root)]);
    expect(ttb.traceInfo.length).toBe(2);
    const { events, summary } = drain(ttb.batches);
    expect(summary.frames).toBe(a.frames + b.frames);
    const ts = events.map((e) => e.ts);
    expect(ts.every((t, i) => i === 0 || ts[i - 1] <= t)).toBe(true);
  });
});

describe('readTtbFolder', () => {
  it('reads a log whose .ti is missing, with a warning', () => {
    const files = folder('upload').filter((x) => !x.name.endsWith('.ti'));
    const ttb = readTtbFolder(files);
    const { summary } = drain(ttb.batches);
    expect(summary.frames).toBe(facts('upload').frames);
    expect(ttb.warnings.some((w) => w.includes('no trace-info file'))).toBe(true);
    expect(ttb.processes).toEqual([]);
  });

  it('a .ti cut short keeps the records before the cut, with a warning', () => {
    const tiFile = folder('upload').find((x) => x.name.endsWith('.ti'))!;
    const all = readTraceInfoRecords(tiFile.bytes, 'x.ti');
    for (const cut of [1, 40, Math.floor(tiFile.bytes.length / 2), tiFile.bytes.length - 1]) {
      const warnings: string[] = [];
      const some = readTraceInfoRecords(tiFile.bytes.subarray(0, cut), 'x.ti', (w) => warnings.push(w));
      expect(some.length).toBeLessThan(all.length);
      expect(some.map(j)).toEqual(all.slice(0, some.length).map(j));
      expect(warnings[0]).toMatch(/^x\.ti: truncated trace-info record at offset \d+/);
    }
  });

  // Regression test: a bad frame in one node's log lost the whole upload ("no input could be read"): the merge of the
  // logs stopped where that log did, and the events it had merged so far, of every log, were never yielded.
  it('a bad frame in one log ends that log there; the other logs are read to their end, then the stop is thrown', () => {
    const upload = new URL('../fixtures/raw/ttb-peer/', import.meta.url);
    const files = readdirSync(upload).map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(new URL(f, upload))) }));
    const log = files.find((f) => f.name === 'raw_vars_peer@vm-tp')!;
    // the offset of a frame in the middle of the peer's log (frames: <<Op:8, Size:32, Body:Size/binary>>)
    let at = 0;
    while (at < log.bytes.length / 2) at += 5 + new DataView(log.bytes.buffer, log.bytes.byteOffset + at + 1, 4).getUint32(0);
    const bad = log.bytes.slice();
    bad[at] = 9;
    const read = (logBytes: Uint8Array) => readUntilStopped(readTtbFolder(files.map((f) => (f === log ? { name: f.name, bytes: logBytes } : f))).batches);
    const { events, error } = read(bad);
    expect(error).toBeInstanceOf(TraceStoppedError);
    expect(error).toMatchObject({ file: 'raw_vars_peer@vm-tp', offset: at });
    // what was read: every log's events but the bad log's from the bad frame on, as if that log ended there
    const cut = read(log.bytes.subarray(0, at));
    expect(cut.error).toBeUndefined();
    expect(events.length).toBeGreaterThan(0);
    expect(events).toEqual(cut.events);
  });

  it('a corrupt .ti record is a TraceReadError naming the file and offset', () => {
    const bytes = folder('upload')
      .find((x) => x.name.endsWith('.ti'))!
      .bytes.slice();
    bytes[1] = 7; // the first record's version byte
    expect(() => readTraceInfoRecords(bytes, 'bad.ti')).toThrow(TraceReadError);
    expect(() => readTraceInfoRecords(bytes, 'bad.ti')).toThrow(expect.objectContaining({ file: 'bad.ti', offset: 1 }));
  });
});
