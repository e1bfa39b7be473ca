import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeTermAt } from '../../src/archive/etf/decode';
import { atom, isAtom, isTuple, type Term } from '../../src/archive/etf/term';
import type { TraceEvent } from '../../src/archive/trace-event';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { EventSink } from '../../src/engine/ingest/event-sink';
import { BUILD_ALL } from '../../src/engine/sql/build';

// What the recorder dropped (docs/SCHEMA.md `drops`) leaves messages and calls unknown, not lost: one case per
// status and outcome, each on a node of its own (windows are per node), read three ways: without the drop windows
// (as before), with them, and with windows that cannot hold the missing side (before it, after it, elsewhere).

const pid = (node: string, id: number): Term => ({ t: 'pid', node: atom(node), id, serial: 0, creation: 1 });
const ref = (node: string, id: number): Term => ({ t: 'ref', node: atom(node), creation: 1, ids: [id, 0, 0] });
const tuple = (...items: Term[]): Term => ({ t: 'tuple', items });
const on =
  (node: string) =>
  (ts: number, kind: TraceEvent['kind'], p: number, extra: Partial<TraceEvent> = {}): TraceEvent => ({
    node,
    ts: BigInt(ts),
    kind,
    pid: pid(node, p),
    ...extra,
  });
/** An archive's drop record: `count` events of `node` dropped between `from` and `to`. */
const drop = (node: string, from: number, to: number, count = 1): TraceEvent => ({
  node,
  ts: BigInt(from),
  until: BigInt(to),
  kind: 'drop',
  pid: atom(node),
  term: tuple(count, atom('rate')),
});

// a@h: <0.2.0> never receives <0.1.0>'s :ping and is alive at the end
const a = on('a@h');
const queued = [a(1000, 'receive', 2, { term: atom('hello') }), a(2000, 'send', 1, { peer: pid('a@h', 2), term: atom('ping') })];
// b@h: <0.2.0> never receives :ping and exits
const b = on('b@h');
const exited = [
  b(1000, 'receive', 2, { term: atom('hello') }),
  b(2000, 'send', 1, { peer: pid('b@h', 2), term: atom('ping') }),
  b(4000, 'exit', 2, { term: atom('normal') }),
];
// c@h: <0.3.0> receives :work nobody was seen sending
const c = on('c@h');
const unsent = [c(1000, 'spawn', 2, { peer: pid('c@h', 3) }), c(1200, 'receive', 3, { term: atom('work') })];
// d@h, e@h, f@h: <0.1.0> calls <0.2.0>; neither the reply nor its receive is in the trace; <0.1.0> goes on
// at 9000 (d), the reply is sent and never received (e), nothing after the request (f: still waiting at the end);
// g@h and h@h as d@h, a gen_event call (labelled with the caller's pid) and a :sys call (labelled :system)
const callOf = (node: string, id: number, went: boolean, replied: boolean, label: Term = atom('$gen_call')): TraceEvent[] => {
  const x = on(node);
  const tag = ref(node, id);
  const req = tuple(label, tuple(pid(node, 1), tag), atom('bump'));
  return [
    x(1000, 'receive', 1, { term: atom('go') }),
    x(2000, 'send', 1, { peer: pid(node, 2), term: req }),
    x(2100, 'receive', 2, { term: req }),
    ...(replied ? [x(2300, 'send', 2, { peer: pid(node, 1), term: tuple(tag, 1) })] : []),
    ...(went ? [x(9000, 'send', 1, { peer: pid(node, 3), term: atom('went_on') })] : []),
  ];
};
const trace = [
  ...queued,
  ...exited,
  ...unsent,
  ...callOf('d@h', 7, true, false),
  ...callOf('e@h', 8, true, true),
  ...callOf('f@h', 9, false, false),
  ...callOf('g@h', 10, true, false, pid('g@h', 1)),
  ...callOf('h@h', 11, true, false, atom('system')),
];
const holding = [
  drop('a@h', 2100, 2200),
  drop('b@h', 3000, 3500),
  drop('c@h', 1100, 1150),
  drop('d@h', 2200, 2400, 2),
  drop('e@h', 2350, 2400),
  drop('f@h', 2200, 2400, 2),
  drop('g@h', 2200, 2400, 2),
  drop('h@h', 2200, 2400, 2),
];
// all after 1200 (c@h's receive: a window anywhere before it would explain it) and none where the missing side could be
const notHolding = [drop('a@h', 1500, 1900), drop('x@h', 2100, 2200), drop('b@h', 4500, 4600), drop('d@h', 9500, 9600)];

async function build(events: TraceEvent[]): Promise<Engine> {
  const db = await openNodeDuckDb();
  const engine = await Engine.create(db, { analyses: 'sql' });
  const sink = new EventSink(0, 0);
  for (const e of [...events].sort((p, q) => (p.ts < q.ts ? -1 : p.ts > q.ts ? 1 : 0))) sink.add(e);
  for (const [name, ipc] of sink.drain()) db.conn.insertArrowFromIPCStream(ipc, { name, create: false });
  for (const sql of BUILD_ALL) db.conn.query(sql);
  return engine;
}

const rows = (e: Engine, sql: string) => e.query(sql, 1000).rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
const STATUSES = `SELECT to_node, msg, status FROM messages WHERE msg NOT IN (':hello', ':go', ':went_on') AND NOT regexp_matches(msg, '^\\{[^{]+, \\{#PID<') ORDER BY ALL`;
const OUTCOMES = `SELECT caller_node, outcome, latency_ns FROM calls ORDER BY ALL`;
const ANOMALIES = `SELECT node, kind FROM anomalies ORDER BY ALL`;

describe('messages and calls the recorder may have dropped a side of', () => {
  let without: Engine;
  let withDrops: Engine;
  let elsewhere: Engine;
  beforeAll(async () => {
    [without, withDrops, elsewhere] = await Promise.all([build(trace), build([...trace, ...holding]), build([...trace, ...notHolding])]);
  }, 300_000);

  it('drops: one row per archive drop record, with its end', () => {
    expect(rows(withDrops, `SELECT node, src, from_ts, to_ts, count, reason FROM drops WHERE node IN ('a@h', 'd@h')`)).toEqual([
      ['a@h', 0, 2100, 2200, 1, 'rate'],
      ['d@h', 0, 2200, 2400, 2, 'rate'],
    ]);
  });

  it('statuses: in_drop for a message never taken, sender_in_drop for a receive with no send', () => {
    expect(rows(without, STATUSES)).toEqual([
      ['a@h', ':ping', 'queued_at_end'],
      ['b@h', ':ping', 'receiver_exited'],
      ['c@h', ':work', 'sender_not_traced'],
      ['e@h', '{#Reference<0.0.0.8>, 1}', 'queued_at_end'],
    ]);
    expect(rows(withDrops, STATUSES)).toEqual([
      ['a@h', ':ping', 'in_drop'],
      ['b@h', ':ping', 'in_drop'],
      ['c@h', ':work', 'sender_in_drop'],
      ['e@h', '{#Reference<0.0.0.8>, 1}', 'in_drop'],
    ]);
    expect(rows(elsewhere, STATUSES)).toEqual(rows(without, STATUSES));
  });

  it('calls: in_drop, with no latency, for a call whose reply a window could hold', () => {
    expect(rows(without, OUTCOMES)).toEqual([
      ['d@h', 'timeout', 7000],
      ['e@h', 'timeout', 7000],
      ['f@h', 'pending', null],
      ['g@h', 'timeout', 7000],
      ['h@h', 'timeout', 7000],
    ]);
    expect(rows(withDrops, OUTCOMES)).toEqual([
      ['d@h', 'in_drop', null],
      ['e@h', 'in_drop', null],
      ['f@h', 'in_drop', null],
      ['g@h', 'in_drop', null],
      ['h@h', 'in_drop', null],
    ]);
    expect(rows(elsewhere, OUTCOMES)).toEqual(rows(without, OUTCOMES));
  });

  it('anomalies: none for what the drops hid', () => {
    expect(rows(without, ANOMALIES)).toEqual([
      ['a@h', 'unconsumed'],
      ['b@h', 'unconsumed'],
      ['d@h', 'call_timeout'],
      ['e@h', 'call_timeout'],
      ['e@h', 'orphan_reply'],
      ['e@h', 'unconsumed'],
      ['f@h', 'call_unanswered'],
      ['g@h', 'call_timeout'],
      ['h@h', 'call_timeout'],
    ]);
    expect(rows(withDrops, ANOMALIES)).toEqual([]);
    expect(rows(elsewhere, ANOMALIES)).toEqual(rows(without, ANOMALIES));
  });

  it('mailboxes: an in_drop message is in none, a sender_in_drop one as any received message', () => {
    const q = `SELECT node, count(*) FILTER (WHERE delta = 1) FROM mailbox_depth WHERE node IN ('a@h', 'c@h') GROUP BY node ORDER BY node`;
    expect(rows(without, q)).toEqual([
      ['a@h', 2],
      ['c@h', 1],
    ]);
    expect(rows(withDrops, q)).toEqual([
      ['a@h', 1],
      ['c@h', 1],
    ]);
    expect(rows(withDrops, `SELECT msg FROM mailbox_at(5000) WHERE node = 'a@h'`)).toEqual([]);
    expect(rows(without, `SELECT msg FROM mailbox_at(5000) WHERE node = 'a@h'`)).toEqual([[':ping']]);
  });
});

describe('a raw dbg trace with a drop frame', () => {
  // test/fixtures/dbg/pingpong.trace (real dbg trace-port output: twenty-one answered calls, and the :sys call that
  // stops the server, {:system, from, {:terminate, :normal}}) with the frame of one
  // reply's receive replaced by a drop frame of count 1, as the trace port writes when it drops a message.
  const bytes = new Uint8Array(readFileSync(new URL('../fixtures/dbg/pingpong.trace', import.meta.url)));
  /** A call's tag: a reference, or \`[:alias | ref]\` (OTP 24+). */
  const isTag = (x: Term) => typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && !Array.isArray(x) && (x.t === 'ref' || x.t === 'improper');
  const isReply = (t: Term) => isTuple(t) && isAtom(t.items[2], 'receive') && isTuple(t.items[3], 2) && isTag(t.items[3].items[0]);
  let engine: Engine;
  beforeAll(async () => {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    let at = -1;
    for (let p = 0; p < bytes.length && at < 0;) {
      const size = bytes[p] === 1 ? 0 : view.getUint32(p + 1);
      if (bytes[p] === 0 && isReply(decodeTermAt(bytes.subarray(p + 5, p + 5 + size), 0).term) && p > bytes.length / 2) at = p;
      else p += 5 + size;
    }
    expect(at).toBeGreaterThan(0);
    const size = view.getUint32(at + 1);
    const spliced = new Uint8Array(bytes.length - size);
    spliced.set(bytes.subarray(0, at));
    spliced.set([1, 0, 0, 0, 1], at);
    spliced.set(bytes.subarray(at + 5 + size), at + 5);
    engine = await Engine.create(await openNodeDuckDb());
    expect((await engine.load([{ name: 'dropped.trace', bytes: spliced }])).errors).toEqual([]);
  }, 120_000);

  it('its window runs from the event before the frame to the next one', () => {
    expect(
      rows(
        engine,
        `SELECT d.count, d.reason, d.from_ts = e.ts, d.to_ts = (SELECT min(ts) FROM events WHERE seq > e.seq), d.to_ts > d.from_ts
         FROM drops d JOIN events e ON e.kind = 'drop'`,
      ),
    ).toEqual([[1, null, true, true, true]]);
  });

  it('the call whose reply receive it took is in_drop, and no anomaly says otherwise', () => {
    expect(rows(engine, `SELECT outcome, count(*) FROM calls GROUP BY ALL ORDER BY ALL`)).toEqual([
      ['in_drop', 1],
      ['reply', 21],
    ]);
    expect(rows(engine, `SELECT status FROM messages m JOIN calls c ON m.send_seq = c.reply_seq WHERE c.outcome = 'in_drop'`)).toEqual([['in_drop']]);
    expect(rows(engine, `SELECT kind FROM anomalies WHERE kind IN ('call_timeout', 'call_unanswered', 'orphan_reply', 'unconsumed')`)).toEqual([]);
  });
});
