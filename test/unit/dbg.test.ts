import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeTermAt } from '../../src/archive/etf/decode';
import type { Term } from '../../src/archive/etf/term';
import { orderWrapFiles, readDbgFile, readDbgWrapSet } from '../../src/archive/dbg';
import type { DbgReadSummary } from '../../src/archive/dbg';
import { TraceReadError, TraceStoppedError } from '../../src/archive/trace-event';
import type { EventKind, TraceBatch, TraceEvent } from '../../src/archive/trace-event';
import { DROPPED_PID, TraceMessageMapper } from '../../src/archive/trace-message';
import { readUntilStopped } from '../support/read-until-stopped';
import { atom, isAtom, isTuple } from '../../src/archive/etf/term';

// Fixtures and their BEAM-side facts come from test/fixtures/gen-traces.sh:
// each *.json was computed by reading the same file back with
// dbg:trace_client/3 on the BEAM. The same workload is traced by OTP 25
// (dbg/) and by OTP 27 (otp27/dbg/, made in the trixie chroot): the files a
// user brings come from either.
const dir = new URL('../fixtures/dbg/', import.meta.url);
const load = (name: string, from = dir) => new Uint8Array(readFileSync(new URL(name, from)));
const OTP_SETS = [
  { otp: 25, dir },
  { otp: 27, dir: new URL('../fixtures/otp27/dbg/', import.meta.url) },
];

interface Facts {
  files: string[];
  frames: number;
  nativeUnitsPerSecond: number;
  tagCounts: Record<string, number>;
  pids: string[];
  nodes: string[];
  spawnedChildren: string[];
  linkPairs: number;
  unlinkPairs: number;
  digest: [string, string, string | null][];
  full: { index: number; term: unknown }[];
}
const facts = (name: string, from = dir) => JSON.parse(readFileSync(new URL(name, from), 'utf8')) as Facts;

/** The structural JSON rendering of gen_traces.erl's j/1, from a decoded term. */
function j(t: Term): unknown {
  if (typeof t === 'number' || typeof t === 'bigint') return { int: String(t) };
  if (t instanceof Uint8Array) return { bin: Array.from(t) };
  if (Array.isArray(t)) return t.map(j);
  switch (t.t) {
    case 'atom':
      return { atom: t.name };
    case 'float':
      return { float: t.value };
    case 'bitstring':
      return { bits: Array.from(t.bytes), used: t.bits % 8 };
    case 'improper':
      return { improper: t.items.map(j), tail: j(t.tail) };
    case 'tuple':
      return { tuple: t.items.map(j) };
    case 'map':
      return { map: t.entries.map(([k, v]) => [j(k), j(v)]) };
    case 'pid':
      return { pid: pidText(t), node: t.node.name };
    case 'port':
      return { port: `#Port<0.${t.id}>`, node: t.node.name };
    case 'ref':
      return { ref: `#Ref<0.${[...t.ids].reverse().join('.')}>`, node: t.node.name };
    case 'fun':
    case 'export':
      return { fun: true };
  }
}
const pidText = (p: Term) =>
  typeof p === 'object' && !Array.isArray(p) && !(p instanceof Uint8Array) && p.t === 'pid' ? `<0.${p.id}.${p.serial}>` : String(p);

/** Runs a reader to the end: all batches, all events, and its return value. */
function drain(gen: Generator<TraceBatch, DbgReadSummary, void>) {
  const batches: TraceBatch[] = [];
  for (;;) {
    const r = gen.next();
    if (r.done) return { batches, events: batches.flatMap((b) => b.events), summary: r.value };
    batches.push(r.value);
  }
}

/** The frames of a trace-port file, walked independently of the reader. */
function frames(bytes: Uint8Array): { offset: number; end: number; term?: Term }[] {
  const out = [];
  for (let p = 0; p < bytes.length;) {
    const size = new DataView(bytes.buffer, bytes.byteOffset).getUint32(p + 1);
    if (bytes[p] === 1) {
      out.push({ offset: p, end: p + 5 });
      p += 5;
    } else {
      out.push({ offset: p, end: p + 5 + size, term: decodeTermAt(bytes.subarray(p + 5, p + 5 + size), 0).term });
      p += 5 + size;
    }
  }
  return out;
}

/** Trace tags that map one-to-one (same message, same order) onto an event kind. */
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
  in: 'in',
  in_exiting: 'in',
  out: 'out',
  out_exiting: 'out',
  out_exited: 'out',
};

function countKinds(events: TraceEvent[]) {
  const c: Partial<Record<EventKind, number>> = {};
  for (const e of events) c[e.kind] = (c[e.kind] ?? 0) + 1;
  return c;
}

/** The per-kind counts the documented mapping implies for the BEAM's per-tag counts. */
function expectedKinds(f: Facts) {
  const want: Partial<Record<EventKind, number>> = {};
  const add = (k: EventKind, n: number) => n && (want[k] = (want[k] ?? 0) + n);
  for (const [tag, n] of Object.entries(f.tagCounts)) {
    if (ONE_TO_ONE[tag]) add(ONE_TO_ONE[tag], n);
    else if (tag.startsWith('gc_')) add('gc', n);
  }
  add('spawn', f.spawnedChildren.length);
  add('link', f.linkPairs);
  add('unlink', f.unlinkPairs);
  return want;
}

function checkAgainstBeam(f: Facts, events: TraceEvent[], summary: DbgReadSummary, tsShift = 0n) {
  expect(summary.frames).toBe(f.frames);
  expect(countKinds(events)).toEqual(expectedKinds(f));
  // The one-to-one messages, in order: same pid, same node, same ts as the BEAM read them.
  const beam = f.digest.filter(([tag]) => ONE_TO_ONE[tag]);
  const ours = events.filter((e) => Object.values(ONE_TO_ONE).includes(e.kind) && e.kind !== 'drop');
  expect(ours.map((e) => [e.kind, pidText(e.pid), e.node])).toEqual(beam.map(([tag, pid]) => [ONE_TO_ONE[tag], pid, f.nodes[0]]));
  if (f.digest[0][2] !== null) expect(ours.map((e) => e.ts)).toEqual(beam.map(([, , ts]) => BigInt(ts!) + tsShift));
  // Each spawned child exactly once, from its parent's side.
  const spawns = events.filter((e) => e.kind === 'spawn');
  expect(spawns.map((e) => pidText(e.peer!)).sort()).toEqual(f.spawnedChildren);
  expect(new Set(events.map((e) => pidText(e.pid)))).toEqual(new Set([...f.pids, ...spawns.map((e) => pidText(e.pid))]));
}

describe.each(OTP_SETS)('trace files written by OTP $otp', ({ dir }) => {
  it('pingpong.trace (timestamp): frames, kinds, pids, ts and order match dbg:trace_client', () => {
    const f = facts('pingpong.trace.json', dir);
    const { events, summary } = drain(readDbgFile(load('pingpong.trace', dir), 'pingpong.trace'));
    checkAgainstBeam(f, events, summary);
    // Every frame is an event, a counted skip, or a spawn/link twin folded into its other side's event (no warning).
    const skipped = summary.warnings.reduce((n, w) => n + Number(/^skipped (\d+)/.exec(w)![1]), 0);
    const folded = Object.values(summary.folded).reduce((n, c) => n + c, 0);
    expect(events.length + skipped + folded).toBe(f.frames);
    expect(summary.folded).toMatchObject({ "getting_linked (the other side's link)": 1, "getting_unlinked (the other side's unlink)": 1 });
    expect(summary.warnings.filter((w) => w.includes("other side's"))).toEqual([]);
  });

  it('decodes each frame to exactly the term the BEAM read', () => {
    const f = facts('pingpong.trace.json', dir);
    const fr = frames(load('pingpong.trace', dir));
    expect(fr.length).toBe(f.frames);
    for (const { index, term } of f.full) expect(j(fr[index].term!)).toEqual(term);
  });

  it('maps field values as documented (checked on the messages the BEAM rendered whole)', () => {
    const f = facts('pingpong.trace.json', dir);
    const { events } = drain(readDbgFile(load('pingpong.trace', dir), 'pingpong.trace'));
    const beam = f.full.map((m) => (m.term as { tuple: unknown[] }).tuple);
    const tagOf = (m: unknown[]) => (m[2] as { atom: string }).atom;
    const oneToOne = beam.filter((m) => ONE_TO_ONE[tagOf(m)]);
    const ours = events.filter((e) => Object.values(ONE_TO_ONE).includes(e.kind));
    oneToOne.forEach((m, i) => {
      const e = ours[i];
      const tag = tagOf(m);
      expect(j(e.pid)).toEqual(m[1]);
      if (tag === 'send' || tag === 'send_to_non_existing_process') expect([j(e.term!), j(e.peer!)]).toEqual([m[3], m[4]]);
      if (tag === 'receive' || tag === 'exit' || tag === 'register' || tag === 'unregister') expect(j(e.term!)).toEqual(m[3]);
      if (tag === 'call') {
        const [mod, fun, args] = (m[3] as { tuple: unknown[] }).tuple as [unknown, unknown, unknown[]];
        expect([j(e.mfa![0]), j(e.mfa![1]), e.mfa![2], j(e.term!)]).toEqual([mod, fun, args.length, args]);
      }
      if (tag === 'return_from' || tag === 'exception_from') {
        const [mod, fun, arity] = (m[3] as { tuple: unknown[] }).tuple;
        expect([j(e.mfa![0]), j(e.mfa![1]), j(e.mfa![2]), j(e.term!)]).toEqual([mod, fun, arity, m[4]]);
      }
    });
    // The first message is the driver's `spawned` (its parent, the generator, is untraced):
    // it becomes the parent's spawn event, mfa erlang:apply/2, term = the args.
    const first = beam[0];
    expect(tagOf(first)).toBe('spawned');
    expect(events[0]).toMatchObject({ kind: 'spawn', ts: BigInt(f.digest[0][2]!) });
    expect([j(events[0].pid), j(events[0].peer!)]).toEqual([first[3], first[1]]);
    expect(events[0].mfa!.map((x) => (typeof x === 'number' ? x : x.name))).toEqual(['erlang', 'apply', 2]);
    // The exception from the callback's helper: {error, {badkey, missing_key}}.
    const exc = events.find((e) => e.kind === 'exception' && e.mfa![1].name === 'risky')!;
    expect(j(exc.term!)).toEqual({ tuple: [{ atom: 'error' }, { tuple: [{ atom: 'badkey' }, { atom: 'missing_key' }] }] });
    // The send to the dead child.
    const dead = events.find((e) => e.kind === 'send_to_dead')!;
    expect(j(dead.term!)).toEqual({ tuple: [{ atom: 'hello' }, { atom: 'dead' }] });
    // The child's abnormal exit.
    expect(events.some((e) => e.kind === 'exit' && pidText(e.pid) === pidText(dead.peer!) && JSON.stringify(j(e.term!)).includes('badarith'))).toBe(true);
  });

  it('monotonic_timestamp (+ running, garbage_collection): ns as written, offset applied', () => {
    const f = facts('pingpong-mono.trace.json', dir);
    expect(f.nativeUnitsPerSecond).toBe(1e9);
    const { events, summary } = drain(readDbgFile(load('pingpong-mono.trace', dir), 'pingpong-mono.trace', { monotonicOffsetNs: 1_000n }));
    checkAgainstBeam(f, events, summary, 1_000n);
    expect(events.filter((e) => e.kind === 'in').some((e) => e.mfa !== undefined)).toBe(true);
    const gc = events.find((e) => e.kind === 'gc')!;
    // {tag, info}: the tag tells a collection's start from its end
    const t = gc.term!;
    expect(isTuple(t, 2) && isAtom(t.items[0]) && t.items[0].name.startsWith('gc_') && Array.isArray(t.items[1])).toBe(true);
  });

  it('exiting + running_procs + arity: out_exited is an out event, calls carry the arity only', () => {
    const f = facts('exiting.trace.json', dir);
    expect(f.tagCounts.out_exited).toBeGreaterThan(0);
    const { events, summary } = drain(readDbgFile(load('exiting.trace', dir), 'exiting.trace'));
    checkAgainstBeam(f, events, summary);
    expect(summary.warnings.filter((w) => /unsupported/.test(w))).toEqual([]);
    const calls = events.filter((e) => e.kind === 'call');
    expect(calls.length).toBe(f.tagCounts.call);
    for (const c of calls) expect([c.mfa !== undefined, c.term]).toEqual([true, undefined]);
  });

  it('strict_monotonic_timestamp: {Mono, Unique} gives Mono', () => {
    const f = facts('pingpong-strict.trace.json', dir);
    const { events, summary } = drain(readDbgFile(load('pingpong-strict.trace', dir), 'pingpong-strict.trace'));
    checkAgainstBeam(f, events, summary);
  });

  it('no timestamp flag: every event keeps the previous ts (0n), order by position', () => {
    const f = facts('pingpong-nots.trace.json', dir);
    const { events, summary } = drain(readDbgFile(load('pingpong-nots.trace', dir), 'pingpong-nots.trace'));
    checkAgainstBeam(f, events, summary);
    expect(events.every((e) => e.ts === 0n)).toBe(true);
  });
});

describe('readDbgFile', () => {
  it('yields batches of the requested size with growing bytesRead', () => {
    const bytes = load('pingpong.trace');
    const { batches, events } = drain(readDbgFile(bytes, 'pingpong.trace', { batchSize: 50 }));
    expect(batches.length).toBe(Math.ceil(events.length / 50));
    expect(batches.slice(0, -1).every((b) => b.events.length === 50)).toBe(true);
    const read = batches.map((b) => b.bytesRead);
    expect([...read].sort((a, b) => a - b)).toEqual(read);
    expect(read.at(-1)).toBe(bytes.length);
  });

  it("a drop frame becomes a drop event with the count and the previous event's ts and node", () => {
    const bytes = load('pingpong.trace');
    const fr = frames(bytes);
    const at = fr[10].end;
    const spliced = new Uint8Array(bytes.length + 5);
    spliced.set(bytes.subarray(0, at));
    spliced.set([1, 0, 0, 0, 7], at);
    spliced.set(bytes.subarray(at), at + 5);
    const { events, summary } = drain(readDbgFile(spliced, 'dropped.trace'));
    expect(summary.dropped).toBe(7);
    const i = events.findIndex((e) => e.kind === 'drop');
    expect(events[i]).toMatchObject({ kind: 'drop', pid: DROPPED_PID, term: 7, ts: events[i - 1].ts, node: events[i - 1].node });
  });

  // Regression guard for crash-cut files: the port may die mid-frame.
  it('every truncation stops after the last complete frame, with a warning when mid-frame', () => {
    const bytes = load('pingpong.trace');
    const fr = frames(bytes);
    const full = drain(readDbgFile(bytes, 'pingpong.trace')).events;
    const cuts = new Set<number>();
    for (let c = fr[fr.length - 4].offset; c <= bytes.length; c++) cuts.add(c);
    for (let c = 0; c < bytes.length; c += 97) cuts.add(c);
    for (const cut of cuts) {
      const { events, summary } = drain(readDbgFile(bytes.subarray(0, cut), 'cut.trace'));
      const complete = fr.filter((x) => x.end <= cut).length;
      expect(summary.frames, `cut ${cut}`).toBe(complete);
      const onBoundary = cut === 0 || fr.some((x) => x.end === cut);
      expect(
        summary.warnings.some((w) => w.startsWith('cut.trace: truncated frame')),
        `cut ${cut}`,
      ).toBe(!onBoundary);
      // The events are a prefix of the full file's (dedup may hold back nothing: it only removes later twins).
      expect(events.map((e) => [e.kind, pidText(e.pid), e.ts])).toEqual(full.slice(0, events.length).map((e) => [e.kind, pidText(e.pid), e.ts]));
    }
  });

  it('a corrupt frame body is a TraceReadError naming the file and the frame offset', () => {
    const bytes = load('pingpong.trace').slice();
    const fr = frames(bytes);
    bytes[fr[5].offset + 5 + 1] = 0xee; // the first tag after the version byte
    const err = (() => {
      try {
        drain(readDbgFile(bytes, 'corrupt.trace'));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TraceReadError);
    expect(err).toMatchObject({ file: 'corrupt.trace', offset: fr[5].offset });
  });

  it('a bad frame op is a TraceStoppedError at that frame, after the frames before it were yielded', () => {
    const bytes = load('pingpong.trace').slice();
    const fr = frames(bytes);
    bytes[fr[3].offset] = 9;
    expect(() => drain(readDbgFile(bytes, 'bad.trace'))).toThrow(expect.objectContaining({ file: 'bad.trace', offset: fr[3].offset }));
    expect(() => drain(readDbgFile(bytes, 'bad.trace'))).toThrow(/bad trace frame op 9/);
    const got: TraceEvent[] = [];
    try {
      for (const b of readDbgFile(bytes, 'bad.trace', { batchSize: 1 })) got.push(...b.events);
    } catch (e) {
      expect(e).toBeInstanceOf(TraceStoppedError);
    }
    const first3 = drain(readDbgFile(load('pingpong.trace').subarray(0, fr[3].offset), 'head.trace')).events;
    expect(got).toEqual(first3);
  });

  it('frames holding compressed terms (ETF tag 80, as term_to_binary(T, [compressed]) writes them) read as the plain ones', () => {
    const compressedBytes = load('pingpong-compressed.trace');
    const tagged = frames(compressedBytes).filter((f) => compressedBytes[f.offset + 6] === 80).length;
    expect(tagged).toBeGreaterThan(100);
    const plain = drain(readDbgFile(load('pingpong.trace'), 'x.trace'));
    const compressed = drain(readDbgFile(compressedBytes, 'x.trace'));
    expect(compressed.summary).toEqual(plain.summary);
    expect(compressed.events).toEqual(plain.events);
  });

  it('a body whose term ends early is a TraceReadError', () => {
    const bytes = load('pingpong.trace').slice();
    const fr = frames(bytes);
    // Grow frame 2's declared size by one: the term then ends before the body does.
    const v = new DataView(bytes.buffer);
    const size = v.getUint32(fr[2].offset + 1);
    v.setUint32(fr[2].offset + 1, size + 1);
    expect(() => drain(readDbgFile(bytes, 'long.trace'))).toThrow(expect.objectContaining({ offset: fr[2].offset }));
  });
});

describe.each(OTP_SETS)('wrap sets written by OTP $otp', ({ dir }) => {
  const f = facts('wrap.json', dir);
  const files = readdirSync(dir)
    .filter((name) => /^wrap-\d+\.trace$/.test(name))
    .map((name) => ({ name, bytes: load(name, dir) }));

  it('orders the fixture set the way dbg does (the counter wrapped)', () => {
    expect(orderWrapFiles(files.map((x) => x.name).reverse())).toEqual(f.files);
    // Both sets wrapped: wrap-0 is the newest file, not the first.
    expect(f.files[0]).not.toBe('wrap-0.trace');
  });

  it('reads the set as one stream matching dbg:trace_client', () => {
    const { events, summary } = drain(readDbgWrapSet([...files].reverse()));
    checkAgainstBeam(f, events, summary);
  });

  // Regression test: a bad frame in the oldest file lost every later file of the set (most of the trace), and the
  // load said only that the rest of the bad file was not read.
  it('a bad frame ends its own file: the files after it are read, then the stop is thrown', () => {
    const oldest = files.find((x) => x.name === f.files[0])!;
    const at = frames(oldest.bytes)[2].offset;
    const read = (bytes: Uint8Array) => readUntilStopped(readDbgWrapSet(files.map((x) => (x === oldest ? { name: x.name, bytes } : x))));
    const bad = oldest.bytes.slice();
    bad[at] = 9;
    const { events, error } = read(bad);
    expect(error).toBeInstanceOf(TraceStoppedError);
    expect(error).toMatchObject({ file: oldest.name, offset: at });
    // as if the oldest file ended at its bad frame
    expect(events).toEqual(read(oldest.bytes.subarray(0, at)).events);
    // the newest file's events too, to the set's last
    expect(events.at(-1)).toEqual(drain(readDbgWrapSet(files)).events.at(-1));
  });
});

describe('wrap file order', () => {
  it('follows the one-gap rule', () => {
    expect(orderWrapFiles(['t2.log', 't0.log', 't1.log'])).toEqual(['t0.log', 't1.log', 't2.log']); // not wrapped yet
    expect(orderWrapFiles(['t3.log', 't1.log', 't2.log'])).toEqual(['t1.log', 't2.log', 't3.log']); // gap at 0
    expect(orderWrapFiles(['t0.log', 't1.log', 't3.log', 't4.log'])).toEqual(['t3.log', 't4.log', 't0.log', 't1.log']);
    expect(orderWrapFiles(['t9.log', 't10.log', 't11.log', 't0.log'])).toEqual(['t9.log', 't10.log', 't11.log', 't0.log']);
    expect(() => orderWrapFiles(['t0.log', 't2.log', 't4.log'])).toThrow(/more than one gap/);
    // A prefix ending in a digit is ambiguous from the names alone: give it.
    expect(orderWrapFiles(['run2-0.w', 'run2-1.w', 'other.txt'], { prefix: 'run2-', suffix: '.w' })).toEqual(['run2-0.w', 'run2-1.w']);
    expect(orderWrapFiles(['node@h-log.1.wrp', 'node@h-log.3.wrp', 'node@h-log.2.wrp'])).toEqual(['node@h-log.1.wrp', 'node@h-log.2.wrp', 'node@h-log.3.wrp']);
  });
});

describe('trace message mapping (synthetic messages for the cases a small workload does not produce)', () => {
  const node = atom('n@h');
  const pid = (id: number): Term => ({ t: 'pid', node, id, serial: 0, creation: 1 });
  const tup = (...items: Term[]): Term => ({ t: 'tuple', items });
  const a = atom;
  const [A, B] = [pid(1), pid(2)];
  const now = tup(1, 2, 3);

  it("getting_linked first becomes the linker's link; the linker's own link is then the duplicate", () => {
    const m = new TraceMessageMapper();
    const e = m.map(tup(a('trace'), B, a('getting_linked'), A));
    expect(e).toMatchObject({ kind: 'link', pid: A, peer: B, node: 'n@h' });
    expect(m.map(tup(a('trace'), A, a('link'), B))).toBeUndefined();
    // With the peer untraced, linking again is a new event, not a duplicate.
    expect(m.map(tup(a('trace'), A, a('link'), B))).toMatchObject({ kind: 'link' });
    expect(m.map(tup(a('trace'), A, a('link'), B))).toMatchObject({ kind: 'link' });
  });

  it('call: the 5-tuple form keeps term = args and the match-spec message ({caller}) as peer', () => {
    const m = new TraceMessageMapper();
    const e = m.map(tup(a('trace_ts'), A, a('call'), tup(a('m'), a('f'), [1, 2]), tup(a('c'), a('g'), 0), now))!;
    expect(e).toMatchObject({ kind: 'call', mfa: [a('m'), a('f'), 2], term: [1, 2], peer: tup(a('c'), a('g'), 0), ts: 1_000_002_000_003_000n });
    expect(m.skipped.size).toBe(0);
    const arityOnly = m.map(tup(a('trace'), A, a('call'), tup(a('m'), a('f'), 3)))!;
    expect(arityOnly.mfa).toEqual([a('m'), a('f'), 3]);
    expect(arityOnly.term).toBeUndefined();
  });

  it('skips return_to, seq_trace and unknown tags, counted', () => {
    const m = new TraceMessageMapper();
    expect(m.map(tup(a('trace'), A, a('return_to'), tup(a('m'), a('f'), 1)))).toBeUndefined();
    expect(m.map(tup(a('seq_trace'), 0, tup(a('send'), 1, A, B, a('x'))))).toBeUndefined();
    expect(m.map(tup(a('trace'), A, a('no_such_tag'), B))).toBeUndefined();
    expect(m.summary()).toEqual([
      'skipped 1 trace message: return_to',
      'skipped 1 trace message: seq_trace',
      'skipped 1 trace message: unsupported trace tag no_such_tag',
    ]);
  });

  // Regression test for port `open` / `closed`, skipped as unsupported tags.
  it("a port's open is the opener's spawn of it, its closed the port's exit", () => {
    const m = new TraceMessageMapper();
    const port: Term = { t: 'port', node, id: 7, creation: 1 };
    expect(m.map(tup(a('trace'), port, a('open'), A, a('cat')))).toEqual({ node: 'n@h', ts: 0n, kind: 'spawn', pid: A, peer: port, term: a('cat') });
    expect(m.map(tup(a('trace'), port, a('in'), a('command')))).toEqual({ node: 'n@h', ts: 0n, kind: 'in', pid: port, term: a('command') });
    expect(m.map(tup(a('trace'), port, a('closed'), a('normal')))).toEqual({ node: 'n@h', ts: 0n, kind: 'exit', pid: port, term: a('normal') });
    expect(m.summary()).toEqual([]);
  });

  // Regression test for the runtime's placeholder pid, a process row in `processes` when it was a pid or a peer.
  it("the runtime's placeholder pid (OTP 25 and OTP 26+ forms) is never an event's pid or peer", () => {
    const m = new TraceMessageMapper();
    const port: Term = { t: 'port', node, id: 0, creation: 1 };
    const old: Term = { t: 'pid', node, id: 32767, serial: 8191, creation: 1 };
    const now27: Term = { t: 'pid', node, id: 0xfffffff, serial: 0xffffffff, creation: 1 };
    for (const x of [old, now27]) {
      expect(m.map(tup(a('trace'), port, a('send'), a('msg'), x))).toEqual({ node: 'n@h', ts: 0n, kind: 'send', pid: port, term: a('msg') });
      expect(m.map(tup(a('trace'), x, a('exit'), a('normal')))).toBeUndefined();
      expect(m.map(tup(a('trace'), port, a('open'), x, a('forker')))).toBeUndefined();
    }
    expect(m.summary()).toEqual([
      "skipped 2 trace messages: exit of the runtime's placeholder pid (<0.32767.8191>, OTP 26+ <0.268435455.4294967295>)",
      "skipped 2 trace messages: open of a port by the runtime's placeholder pid (<0.32767.8191>, OTP 26+ <0.268435455.4294967295>)",
      "kept 2 trace messages: send to the runtime's placeholder pid (<0.32767.8191>, OTP 26+ <0.268435455.4294967295>), without a peer (it names no process)",
    ]);
  });

  // Regression test for cpu_timestamp: CPU time taken for wall-clock time, and the events reordered by it.
  it('cpu_timestamp: {0, S, Us} is CPU time, kept in file order and noted', () => {
    const m = new TraceMessageMapper();
    const at = (us: number) => m.map(tup(a('trace_ts'), A, a('exit'), a('normal'), tup(0, 0, us)))!.ts;
    expect([at(500), at(300), at(900)]).toEqual([500_000n, 500_000n, 900_000n]);
    expect(m.summary()).toEqual([
      'kept 3 trace messages: its timestamp is CPU time (the cpu_timestamp trace flag), not wall-clock time: ts is that CPU time since the epoch, raised where a scheduler thread lagged so the events keep the file order',
    ]);
    // wall-clock time is taken as it is, also when it goes back
    const w = new TraceMessageMapper();
    const wall = (us: number) => w.map(tup(a('trace_ts'), A, a('exit'), a('normal'), tup(1796, 0, us)))!.ts;
    expect([wall(5), wall(3)]).toEqual([1_796_000_000_000_005_000n, 1_796_000_000_000_003_000n]);
  });

  it('gc: term = {tag, info}', () => {
    const m = new TraceMessageMapper();
    expect(m.map(tup(a('trace'), A, a('gc_major_end'), [tup(a('heap_size'), 3)]))).toEqual({
      node: 'n@h',
      ts: 0n,
      kind: 'gc',
      pid: A,
      term: tup(a('gc_major_end'), [tup(a('heap_size'), 3)]),
    });
  });

  it('in/out carry the mfa when given (0 = unknown), *_exiting maps to in/out', () => {
    const m = new TraceMessageMapper();
    expect(m.map(tup(a('trace'), A, a('in'), tup(a('m'), a('f'), 1)))).toMatchObject({ kind: 'in', mfa: [a('m'), a('f'), 1] });
    // the tag, for what out alone does not say
    expect(m.map(tup(a('trace'), A, a('out_exiting'), 0))).toEqual({ node: 'n@h', ts: 0n, kind: 'out', pid: A, term: a('out_exiting') });
    expect(m.map(tup(a('trace'), A, a('out'), 0))).toEqual({ node: 'n@h', ts: 0n, kind: 'out', pid: A });
  });

  it('an untimestamped message takes the previous ts; a drop takes the previous ts and node', () => {
    const m = new TraceMessageMapper({ monotonicOffsetNs: 10n });
    m.map(tup(a('trace_ts'), A, a('exit'), a('normal'), -500));
    expect(m.map(tup(a('trace'), B, a('register'), a('x')))).toMatchObject({ ts: -490n });
    expect(m.drop(3)).toEqual({ node: 'n@h', ts: -490n, kind: 'drop', pid: DROPPED_PID, term: 3 });
  });
});
