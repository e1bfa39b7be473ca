import { describe, expect, it } from 'vitest';
import { atom, isTuple, type Term } from '../../src/archive/etf/term';
import type { TraceEvent } from '../../src/archive/trace-event';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { EventSink } from '../../src/engine/ingest/event-sink';
import { BUILD_ALL, markDroppedReplies, markInDrop, signalSenders } from '../../src/engine/sql/build';
import { EventStore } from '../../src/engine/stream/event-store';
import { runStreamAnalyses } from '../../src/engine/stream/run';
import { correlate } from '../../src/engine/stream/correlate';
import {
  refAliveAt,
  refCauseOf,
  refCauses,
  refEffects,
  refMailboxAt,
  refCalls,
  refMessages,
  refSpans,
  refStateAt,
  type ConsumedRow,
  type EventRow,
} from '../support/analyses-reference';

/** mulberry32: small, seedable, good enough for test data. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)] };
}

const pid = (node: string, id: number): Term => ({ t: 'pid', node: atom(node), id, serial: 0, creation: 1 });
const tuple = (...items: Term[]): Term => ({ t: 'tuple', items });
const stateTerm = (n: number, extra: number): Term => ({
  t: 'map',
  entries: [
    [atom('n'), n],
    [atom('items'), Array.from({ length: extra }, (_, i) => i)],
  ],
});

/**
 * A random trace over two nodes: spawns, sends (repeated terms, sends to the
 * dead), receives in any order across senders (FIFO per sender), GenServer
 * handle_info callbacks that take some received messages (others stay
 * queued), receives from untraced senders, `:timeout` receives, nested
 * traced calls, links and exits, and gen:call requests labelled as
 * gen_server's, :sys's and gen_event's (the caller's pid), most answered.
 */
function generate(seed: number, steps: number, drops = 0, extras = false): TraceEvent[] {
  const r = prng(seed);
  // \`extras\`: selective receives inside callbacks, callbacks that stop, tagged monitors (their draws apart: the
  // seeds without them keep the traces whose coverage the tests below count on)
  const r2 = prng(seed * 104_729);
  const nodes = ['a@h', 'b@h'];
  const evs: TraceEvent[] = [];
  const clock = new Map(nodes.map((n) => [n, 1_000_000n]));
  const tick = (node: string) => {
    const t = clock.get(node)! + BigInt(1 + r.int(5_000));
    clock.set(node, t);
    return t;
  };
  interface P {
    node: string;
    id: number;
    alive: boolean;
    server: boolean;
    state: number;
    stack: string[];
    inbox: Term[][];
    /** The tag of the call it waits in (gen:call blocks: it only receives, gives up on a \`:timeout\`, or exits). */
    waiting: Term | null;
    parent?: P;
  }
  const procs: P[] = [];
  let nextId = 100;
  const mk = (node: string): P => {
    const p: P = { node, id: nextId++, alive: true, server: r.next() < 0.6, state: 0, stack: [], inbox: [], waiting: null };
    procs.push(p);
    return p;
  };
  for (let i = 0; i < 4; i++) mk(r.pick(nodes));
  // the gen:call requests sent and not yet received, with their caller and tag
  const requests = new Map<Term, { caller: P; tag: Term }>();
  let tags = 0;
  const emit = (p: P, kind: TraceEvent['kind'], extra: Partial<TraceEvent> = {}) =>
    evs.push({ node: p.node, ts: tick(p.node), kind, pid: pid(p.node, p.id), ...extra });
  const fnMfa = (name: string) => [atom('Work'), atom(name), 1] as const;
  // A message the runtime makes from a signal, naming a process of either node, exited or not, or one never seen; a
  // spawn reply names, as often as not, a process the receiver spawned.
  const ref = (node: string): Term => ({ t: 'ref', node: atom(node), creation: 1, ids: [r.int(1000), 7, 9] });
  const signal = (o: P, to: P): Term => {
    const who = r.next() < 0.15 ? pid(o.node, 99) : pid(o.node, o.id);
    const children = procs.filter((c) => c.parent === to);
    const child = children.length > 0 && r.next() < 0.5 ? r.pick(children) : null;
    switch (r.int(10)) {
      case 5:
        return tuple(atom('spawn_reply'), ref(to.node), atom('ok'), child === null ? who : pid(child.node, child.id));
      case 6:
        return tuple(atom('spawn_reply'), ref(to.node), atom('error'), atom('noconnection'));
      case 7:
        return tuple(atom('ETS-TRANSFER'), ref(to.node), who, atom('gift'));
      case 8:
        return r.next() < 0.5
          ? tuple(atom('monitor'), who, atom('long_gc'), [tuple(atom('timeout'), 12)])
          : tuple(atom('CHANGE'), ref(to.node), atom('time_offset'), atom('clock_service'), 1234);
    }
    const k = r.int(5);
    if (extras && r2.next() < 0.3) {
      // a monitor tagged with an alias (OTP 26+ multi_call's, OTP 27 erpc's)
      const tag = (node: string): Term => ({ t: 'ref', node: atom(node), creation: 1, ids: [r2.int(1000), 8, 9] });
      return tuple(tag(to.node), tag(o.node), atom('process'), r2.next() < 0.5 ? who : tuple(atom('name'), atom(o.node)), atom('noproc'));
    }
    switch (k) {
      case 0:
        return tuple(atom('EXIT'), who, atom('normal'));
      case 1:
        return tuple(atom('DOWN'), ref(o.node), atom('process'), who, atom('noproc'));
      case 2:
        return tuple(atom('DOWN'), ref(o.node), atom('process'), tuple(atom('name'), atom(o.node)), atom('normal'));
      case 3:
        return tuple(atom('nodedown'), atom(r.pick(nodes)));
      default:
        return tuple(atom('timeout'), ref(o.node), atom('tick'));
    }
  };
  for (let s = 0; s < steps; s++) {
    const alive = procs.filter((p) => p.alive);
    if (alive.length === 0) break;
    const p = r.pick(alive);
    const roll = r.next();
    if (p.waiting !== null && !(roll >= 0.68 && roll < 0.72) && !(roll >= 0.9 && roll < 0.93)) continue;
    if (roll < 0.06 && procs.length < 14) {
      const c = mk(r.next() < 0.8 ? p.node : r.pick(nodes));
      c.server = r.next() < 0.6;
      c.parent = p;
      emit(p, 'spawn', { peer: pid(c.node, c.id), mfa: [atom('Gen'), atom('init'), 1], term: [] });
      // a spawn request's reply naming the child, as erlang:spawn_request gives it
      if (r.next() < 0.3) emit(p, 'receive', { term: tuple(atom('spawn_reply'), ref(p.node), atom('ok'), pid(c.node, c.id)) });
    } else if (roll < 0.4) {
      const to = r.pick(procs);
      const msg = tuple(atom('msg'), r.int(4));
      if (!to.alive && r.next() < 0.7) emit(p, 'send_to_dead', { peer: pid(to.node, to.id), term: msg });
      else {
        emit(p, 'send', { peer: pid(to.node, to.id), term: msg });
        if (to.alive) to.inbox.push([msg]);
      }
    } else if (roll < 0.68) {
      const q = alive.filter((x) => x.inbox.length > 0);
      if (q.length === 0) continue;
      const to = r.pick(q);
      const [msg] = to.inbox.splice(r.next() < 0.7 ? 0 : r.int(to.inbox.length), 1)[0];
      emit(to, 'receive', { term: msg });
      const req = requests.get(msg);
      if (req !== undefined) {
        // the callee answers most requests: \`{tag, reply}\` to the caller, which gen:call takes (no callback)
        requests.delete(msg);
        if (r.next() < 0.75) {
          const reply = tuple(req.tag, atom('ok'));
          const c = req.caller;
          emit(to, c.alive ? 'send' : 'send_to_dead', { peer: pid(c.node, c.id), term: reply });
          if (c.alive) c.inbox.push([reply]);
        }
      } else if (isTuple(msg, 2) && ((msg.items[0] as { t?: string }).t === 'ref' || isTuple(msg.items[0], 2))) {
        // a reply: taken by gen:call as it comes
        if (msg.items[0] === to.waiting) to.waiting = null;
      } else if (to.server && to.stack.length === 0 && r.next() < 0.7) {
        const before = stateTerm(to.state, to.state % 3);
        to.state++;
        emit(to, 'call', { mfa: [atom('Gen'), atom('handle_info'), 2], term: [msg, before] });
        // now and then a selective receive inside the callback takes a later message (no callback takes it), and now
        // and then the callback stops its process: what it received and did not take is lost at the exit
        const stop = extras && r2.next() < 0.15;
        const plain = to.inbox.findIndex(([m]) => isTuple(m, 2) && (m.items[0] as { name?: string }).name === 'msg');
        if (extras && plain >= 0 && (stop || r2.next() < 0.4)) emit(to, 'receive', { term: to.inbox.splice(plain, 1)[0][0] });
        else if (stop) {
          // a message another process sent meanwhile, received while the callback waited for something else
          const late = tuple(atom('msg'), r2.int(4));
          emit(r2.pick(alive), 'send', { peer: pid(to.node, to.id), term: late });
          emit(to, 'receive', { term: late });
        }
        emit(to, 'return', {
          mfa: [atom('Gen'), atom('handle_info'), 2],
          term: tuple(atom(stop ? 'stop' : 'noreply'), ...(stop ? [atom('normal')] : []), stateTerm(to.state, to.state % 3)),
        });
        if (stop) {
          to.alive = false;
          emit(to, 'exit', { term: atom('normal') });
        }
      }
    } else if (roll < 0.72) {
      const x = r.next();
      emit(p, 'receive', { term: x < 0.35 ? atom('timeout') : x < 0.65 ? tuple(atom('untraced'), r.int(3)) : signal(r.pick(procs), p) });
      // a caller's `receive ... after` timing out: it gives up
      if (x < 0.35) p.waiting = null;
    } else if (roll < 0.86) {
      if (p.stack.length > 0 && r.next() < 0.5) {
        const f = p.stack.pop()!;
        emit(p, r.next() < 0.8 ? 'return' : 'exception', { mfa: fnMfa(f), term: atom('ok') });
      } else {
        const f = r.pick(['parse', 'load', 'save']);
        p.stack.push(f);
        emit(p, 'call', { mfa: fnMfa(f), term: [r.int(3)] });
      }
    } else if (roll < 0.9) {
      const o = r.pick(procs.filter((x) => x.alive && x !== p && x.node === p.node).concat([p]));
      if (o !== p) emit(p, 'link', { peer: pid(o.node, o.id) });
    } else if (roll < 0.93 && p.stack.length === 0) {
      p.alive = false;
      const x = r.next();
      emit(p, 'exit', { term: x < 0.4 ? atom('normal') : x < 0.8 ? tuple(atom('badarg'), 1) : tuple(atom('timeout'), atom('gen')) });
    } else if (roll >= 0.93) {
      // a gen:call request, labelled as gen_server's, :sys's or gen_event's (the caller's own pid)
      const to = r.pick(procs.filter((x) => x !== p));
      if (to === undefined) continue;
      const plain: Term = { t: 'ref', node: atom(p.node), creation: 1, ids: [++tags, 5, 5] };
      // one in five as gen_server:multi_call tags its requests on OTP 25: \`{ref, node}\`
      const tag: Term = tags % 5 === 0 ? tuple(plain, atom(to.node)) : plain;
      const label = r.pick([atom('$gen_call'), atom('system'), pid(p.node, p.id)]);
      const req = tuple(label, tuple(pid(p.node, p.id), tag), tuple(atom('q'), r.int(3)));
      if (!to.alive) emit(p, 'send_to_dead', { peer: pid(to.node, to.id), term: req });
      else {
        emit(p, 'send', { peer: pid(to.node, to.id), term: req });
        to.inbox.push([req]);
        requests.set(req, { caller: p, tag });
        if (r.next() < 0.7) p.waiting = tag;
      }
    }
  }
  // close open traced calls so spans nest (the reference assumes proper nesting)
  for (const p of procs) while (p.stack.length > 0 && p.alive) emit(p, 'return', { mfa: fnMfa(p.stack.pop()!), term: atom('ok') });
  return withDrops(
    evs.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)),
    drops,
    prng(seed * 31),
  );
}

/**
 * The recorder dropping events: \`n\` windows, each from a random event of the trace on its node for up to 40 µs,
 * whose sends and receives on that node are taken out (the other events stay: spans keep their nesting) and
 * counted in a drop event with the window's end, as an archive's drop record gives it.
 */
function withDrops(evs: TraceEvent[], n: number, r: ReturnType<typeof prng>): TraceEvent[] {
  let out = evs;
  const drops: TraceEvent[] = [];
  for (let k = 0; k < n; k++) {
    const at = out[r.int(out.length)];
    const from = at.ts + 1n;
    const until = from + BigInt(1 + r.int(40_000));
    const hidden = (e: TraceEvent) => e.node === at.node && e.ts >= from && e.ts <= until && (e.kind === 'send' || e.kind === 'receive');
    const count = out.filter(hidden).length;
    out = out.filter((e) => !hidden(e));
    drops.push({ node: at.node, ts: from, until, kind: 'drop', pid: atom(at.node), term: tuple(count, atom(r.pick(['rate', 'overload']))) });
  }
  return [...out, ...drops].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}

/** The generator's drop windows, as the reference reads them. */
const windowsOf = (evs: TraceEvent[]) => evs.filter((e) => e.kind === 'drop').map((e) => ({ node: e.node, from: e.ts, to: e.until! }));

/** The SQL builds over `events`; with a store, the streaming tables beside them as `stream_<table>`. */
async function engineWith(events: TraceEvent[], store?: EventStore): Promise<Engine> {
  const db = await openNodeDuckDb();
  const engine = await Engine.create(db, { analyses: 'sql' });
  const sink = new EventSink(0, 0, store);
  for (const e of events) sink.add(e);
  sink.finish();
  for (const [name, ipc] of sink.drain()) db.conn.insertArrowFromIPCStream(ipc, { name, create: false });
  for (const sql of BUILD_ALL) db.conn.query(sql);
  if (store) {
    const stream = runStreamAnalyses(engine.db, store, 'stream_');
    engine.query(signalSenders('stream_messages'));
    engine.query(markDroppedReplies('stream_messages'));
    for (const q of markInDrop('stream_messages')) engine.query(q);
    stream.mailboxDepth();
  }
  return engine;
}

const big = (v: unknown) => (v === null ? null : BigInt(v as number | bigint));

function rowsAs<T>(engine: Engine, sql: string): T[] {
  const r = engine.query(sql, Number.MAX_SAFE_INTEGER);
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])) as T);
}

describe('analyses SQL agrees with the TypeScript reference on random traces', () => {
  /** The calls' outcomes the seeds below met: the last test checks they meet all of them. */
  const outcomes = new Set<string>();
  /** The signals' first words over the seeds, and whether a spawn reply's process was known only as the receiver's child. */
  const signalKinds = new Set<string>();
  /** What the extras made over their seeds: messages a callback's own receive took (\`inside\`), ones a stop left (\`lost\`). */
  const extrasMet = new Set<string>();
  // seeds 5 and 6: with drop windows (the messages their sends and receives leave unknown); 7 and 8 with the extras
  // (receives inside callbacks, callbacks that stop, tagged monitors)
  for (const [seed, drops, extras] of [
    [1, 0, 0],
    [2, 0, 0],
    [3, 0, 0],
    [4, 0, 0],
    [5, 4, 0],
    [6, 6, 0],
    [7, 0, 1],
    [8, 3, 1],
  ]) {
    it(`seed ${seed}${drops > 0 ? `, ${drops} drop windows` : ''}${extras ? ', extras' : ''}`, async () => {
      const trace = generate(seed, 400, drops, extras === 1);
      const engine = await engineWith(trace);
      const events = rowsAs<EventRow>(engine, `SELECT seq, ts, node, pid, kind, peer, peer_node, mfa, term, term_id FROM events ORDER BY seq`).map((e) => ({
        ...e,
        ts: big(e.ts)!,
      }));
      const consumed = rowsAs<ConsumedRow>(engine, `SELECT seq, node, pid, msg FROM consumed ORDER BY seq`);
      const ref = refMessages(events, consumed, windowsOf(trace));
      if (drops > 0) expect(ref.some((m) => m.status === 'in_drop')).toBe(true);
      expect(ref.filter((m) => m.status === 'signal').length).toBeGreaterThan(0);
      for (const [k] of engine.query(
        `SELECT DISTINCT CASE WHEN starts_with(msg, '{#Reference<') THEN 'tagged DOWN' ELSE regexp_extract(msg, '^\\{:"?([A-Za-z_-]+)', 1) END || CASE WHEN p.parent_pid = m.to_pid AND p.exited_at IS NULL THEN ' child' ELSE '' END
         FROM messages m LEFT JOIN processes p ON p.node = m.from_node AND p.pid = m.from_pid WHERE m.status = 'signal'`,
      ).rows)
        signalKinds.add(String(k));
      const sqlMsgs = rowsAs<Record<string, unknown>>(engine, `SELECT send_seq, recv_seq, status, consumed_seq, taken_at, from_pid, from_node FROM messages`);
      const norm = (m: Record<string, unknown>) =>
        `${m.send_seq}/${m.recv_seq}/${m.status}/${m.consumed_seq}/${m.taken_at === null ? null : big(m.taken_at)}` +
        (m.status === 'signal' ? `/${m.from_node} ${m.from_pid}` : '');
      expect(sqlMsgs.map(norm).sort()).toEqual(ref.map((m) => norm(m as unknown as Record<string, unknown>)).sort());
      if (extras) {
        // the extras make what they are for: messages a callback's own receive took, and ones a stopping callback left
        const [[inside, lost]] = engine.query(
          `SELECT count(*) FILTER (WHERE m.status = 'received' AND m.consumed_seq IS NULL AND s.end_seq IS NOT NULL)::INTEGER,
                  count(*) FILTER (WHERE m.status = 'receiver_exited' AND starts_with(e.term, '{:stop, '))::INTEGER
           FROM messages m JOIN spans s ON s.node = m.to_node AND s.pid = m.to_pid AND m.recv_seq > s.call_seq AND m.recv_seq < s.end_seq
           JOIN events e ON e.seq = s.end_seq WHERE s.mfa LIKE '%.handle_info/2'`,
        ).rows;
        if (Number(inside) > 0) extrasMet.add('inside');
        if (Number(lost) > 0) extrasMet.add('lost');
      }

      const refC = refCalls(events, ref, windowsOf(trace));
      for (const c of refC) outcomes.add(c.outcome);
      const callKey = (c: Record<string, unknown>) =>
        `${c.call_seq} ${c.caller_pid} ${c.callee_pid} ${c.outcome} ${c.latency_ns === null ? null : big(c.latency_ns)} ${c.reply_seq} ${c.request_recv_seq} ${c.reply_recv_seq}`;
      const sqlCalls = rowsAs<Record<string, unknown>>(
        engine,
        `SELECT call_seq, caller_pid, callee_pid, outcome, latency_ns, reply_seq, request_recv_seq, reply_recv_seq FROM calls ORDER BY call_seq`,
      );
      expect(sqlCalls.map(callKey)).toEqual(refC.map((c) => callKey(c as unknown as Record<string, unknown>)));

      const span = events.length;
      const instants = [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1].map((f) => events[Math.min(span - 1, Math.floor(f * (span - 1)))].ts);
      const states = rowsAs<{ seq: number; ts: bigint; node: string; pid: string }>(engine, `SELECT seq, ts, node, pid FROM states`).map((s) => ({
        ...s,
        ts: big(s.ts)!,
      }));
      for (const t of instants) {
        const alive = rowsAs<{ k: string }>(engine, `SELECT node || ' ' || pid AS k FROM alive_at(${t}::BIGINT) ORDER BY k`).map((x) => x.k);
        expect(alive).toEqual(refAliveAt(events, t));
        const mb = rowsAs<{ k: string }>(
          engine,
          `SELECT node || ' ' || pid || ' ' || coalesce(send_seq::VARCHAR, 'r' || recv_seq) AS k FROM mailbox_at(${t}::BIGINT)`,
        ).map((x) => x.k);
        expect(mb.sort()).toEqual(refMailboxAt(events, ref, t));
        const st = rowsAs<{ k: string }>(engine, `SELECT node || ' ' || pid || ' ' || seq AS k FROM state_at(${t}::BIGINT)`).map((x) => x.k);
        expect(st.sort()).toEqual(refStateAt(events, states, t));
      }

      const causeOf = refCauseOf(events, ref);
      const r = prng(seed * 7919);
      for (let i = 0; i < 12; i++) {
        const seq = r.int(span);
        const depth = 1 + r.int(4);
        const causes = rowsAs<{ seq: number }>(engine, `SELECT seq FROM causes(${seq}, ${depth})`).map((x) => x.seq);
        expect(causes).toEqual(refCauses(causeOf, seq, depth));
        const effects = rowsAs<{ seq: number }>(engine, `SELECT seq FROM effects(${seq}, ${depth}) ORDER BY seq`).map((x) => x.seq);
        expect(effects).toEqual(refEffects(causeOf, seq, depth));
      }

      const spans = rowsAs<Record<string, unknown>>(engine, `SELECT call_seq, end_seq, depth, self_ns, parent_seq FROM spans ORDER BY call_seq`);
      const spanKey = (s: Record<string, unknown>) => `${s.call_seq} ${s.end_seq} ${s.depth} ${s.self_ns === null ? null : big(s.self_ns)} ${s.parent_seq}`;
      expect(spans.map(spanKey)).toEqual(refSpans(events).map((s) => spanKey(s as unknown as Record<string, unknown>)));
    }, 180_000);
  }

  it('the extras make messages a callback took with its own receive, and ones a stopping callback left', () => {
    expect([...extrasMet].sort()).toEqual(['inside', 'lost']);
  });

  it('the traces exercise every outcome of a call', () => {
    expect([...outcomes].sort()).toEqual(['callee_exit', 'caller_exit', 'in_drop', 'pending', 'reply', 'timeout']);
  });

  it('the seeds make every kind of signal, and a spawn reply naming a live child of its receiver', () => {
    expect([...signalKinds].filter((k) => !k.endsWith(' child') || k === 'spawn_reply child').sort()).toEqual(
      ['CHANGE', 'DOWN', 'ETS-TRANSFER', 'EXIT', 'monitor', 'nodedown', 'spawn_reply', 'spawn_reply child', 'tagged DOWN', 'timeout'].sort(),
    );
  });
});

describe('streaming analyses equal the SQL on random multi-node traces', () => {
  // Two nodes with their own clocks: a receive can be stamped before its send, so pairing must go by count.
  // seeds 17, 18 and 20: with drop windows
  for (const [seed, drops] of [
    [11, 0],
    [12, 0],
    [13, 0],
    [14, 0],
    [15, 0],
    [16, 0],
    [17, 4],
    [18, 6],
    [19, 0],
    [20, 5],
  ]) {
    it(`seed ${seed}${drops > 0 ? `, ${drops} drop windows` : ''}`, async () => {
      // seeds 19 and 20 with the extras (receives inside callbacks, callbacks that stop, tagged monitors)
      const engine = await engineWith(generate(seed, 600, drops, seed >= 19), new EventStore());
      for (const t of ['send_targets', 'messages', 'spans', 'causal_links', 'mailbox_depth']) {
        const [[sqlOnly]] = engine.query(`SELECT count(*)::INTEGER FROM (SELECT * FROM ${t} EXCEPT ALL SELECT * FROM stream_${t})`).rows;
        const [[streamOnly]] = engine.query(`SELECT count(*)::INTEGER FROM (SELECT * FROM stream_${t} EXCEPT ALL SELECT * FROM ${t})`).rows;
        expect({ table: t, sqlOnly, streamOnly }).toEqual({ table: t, sqlOnly: 0, streamOnly: 0 });
      }
      const [[early]] = engine.query(`SELECT count(*)::INTEGER FROM messages WHERE received_at < sent_at`).rows;
      const [[spans]] = engine.query(`SELECT count(*)::INTEGER FROM spans WHERE parent_seq IS NOT NULL`).rows;
      expect({ early: Number(early) > 0 || seed !== 11, spans: Number(spans) > 0 }).toEqual({ early: true, spans: true });
    }, 120_000);
  }

  // Regression test for the mailbox_depth order past 2^26 events (it threw): beyond the packed numeric keys the
  // rows sort by comparing (ts, -delta, seq); both ways give the same rows in the same order.
  it('mailbox_depth sorts the same without packed keys', async () => {
    const store = new EventStore();
    const engine = await engineWith(generate(12, 600), store);
    const input = { store, registrations: [], nameFallback: [] };
    const packed = correlate(input).mailboxDepth(new Set());
    const compared = correlate({ ...input, mailboxPackBelow: 0 }).mailboxDepth(new Set());
    expect(packed.length).toBeGreaterThan(100);
    expect(Buffer.from(compared.toIPC()).equals(Buffer.from(packed.toIPC()))).toBe(true);
    engine.db.close();
  }, 120_000);
});
