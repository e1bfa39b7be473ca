import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, type InputFile } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { openNativeConnection } from '../../src/engine/duckdb/native-node';

// The streaming analyses (src/engine/stream) against the SQL builds they replace, which stay as the reference:
// on every fixture input (archives, scenarios, raw dbg and ttb traces, several archives merged), the tables the
// stream writes equal the SQL's row for row, and so does every table built on them (calls, states, anomalies).

const fixtures = path.resolve(__dirname, '../fixtures');
const STREAMED = ['send_targets', 'messages', 'spans', 'causal_links', 'mailbox_depth'];
const DOWNSTREAM = ['calls', 'states', 'call_groups', 'anomalies', 'processes', 'registrations'];

function input(rel: string): InputFile[] {
  const p = path.join(fixtures, rel);
  if (statSync(p).isDirectory()) return readdirSync(p).map((f) => ({ name: `${rel}/${f}`, bytes: new Uint8Array(readFileSync(path.join(p, f))) }));
  return [{ name: rel, bytes: new Uint8Array(readFileSync(p)) }];
}

const zips = (dir: string) =>
  readdirSync(path.join(fixtures, dir))
    .filter((f) => f.endsWith('.zip'))
    .map((f) => [`${dir}/${f}`]);

const cases: string[][] = [
  ...zips('archives'),
  ...zips('scenarios'),
  ['scenarios/cross-node-a.zip', 'scenarios/cross-node-b.zip'],
  // one of the two nodes halted: :noconnection signals from the other recorded node
  ['scenarios/node-down-a.zip', 'scenarios/node-down-b.zip'],
  // several archives at once: merged by timestamp, so the events are resequenced after ingest
  ['archives/demo.zip', 'archives/crash.zip', 'archives/statem.zip', 'scenarios/name-resolution.zip'],
  // a day of a cluster's recordings (day_runs.exs): two node names, three runs of each, whose pids repeat from run to
  // run; each run's processes are its own (node-runs.ts), and a peer is the run of its node at the time
  ['scenarios/day-a-1.zip', 'scenarios/day-a-2.zip', 'scenarios/day-a-3.zip', 'scenarios/day-b-1.zip', 'scenarios/day-b-2.zip', 'scenarios/day-b-3.zip'],
  // two runs of nonode@nohost (two mix sessions)
  ['scenarios/mailbox-flood.zip', 'scenarios/receive-edges.zip'],
  ...['pingpong', 'exiting', 'pingpong-nots', 'pingpong-mono', 'pingpong-strict'].map((f) => [`dbg/${f}.trace`]),
  ['dbg/wrap-0.trace', 'dbg/wrap-2.trace', 'dbg/wrap-3.trace', 'dbg/wrap-4.trace'],
  ['ttb/upload'],
  ['ttb/upload-global'],
  ['ttb/upload-wrap'],
  // a send to a port goes to the port, not to a registered name
  ['raw/port-send.trace'],
  // every kind of trace message: ports opened and closed (spawn/exit of a port), {caller}, gc, cpu_timestamp, the
  // runtime's placeholder pid (ttb-ports), as OTP 25 and OTP 27 write them
  ['raw/flags-ts.trace'],
  ['raw/flags-cpu.trace'],
  ['raw/ttb-ports'],
  ['otp27/raw/flags-ts.trace'],
  // the seeded term corpus (test/scenarios/term_corpus.exs, RAW=1)
  ['otp27/raw/term-corpus.trace'],
  ['otp27/raw/ttb-ports'],
  // sends to a name registered before the trace began (no register event); ttb {local, {wrap, ...}} logs of two
  // nodes, one ending with end_of_trace (OTP 25), one empty (OTP 27)
  ['raw/names-before.trace'],
  ['otp27/raw/names-before.trace'],
  ['raw/ttb-local-wrap'],
  ['otp27/raw/ttb-local-wrap'],
  // the scheduler_id flag; a return with no call and calls with no return (raw_vars.erl); an ip trace port's drop in
  // a ttb local log and in the port's own stream kept in a file; ttb on two nodes, fetched to one folder
  ['raw/sched.trace'],
  ['raw/ms.trace'],
  ['otp27/raw/ms.trace'],
  ['raw/ttb-drop'],
  ['raw/ip-drop.trace'],
  ['raw/ttb-peer'],
  ['otp27/raw/ttb-peer'],
  // a gen_event manager whose handlers' calls were traced (raw_events.erl)
  ['raw/events.trace'],
  ['otp27/raw/events.trace'],
  // calls traced without return_trace beside a function traced with it (raw_noreturn.erl): no_return spans
  ['raw/noreturn.trace'],
  ['otp27/raw/noreturn.trace'],
];

const key = (row: unknown[]) => JSON.stringify(row, (_, v) => (typeof v === 'bigint' ? String(v) : v));

function sortedRows(e: Engine, table: string): string[] {
  return e.query(`SELECT * FROM ${table}`, Number.MAX_SAFE_INTEGER).rows.map(key).sort();
}

describe('streaming analyses equal the SQL reference', () => {
  for (const files of cases) {
    it(
      files.join(' + '),
      async () => {
        const inputs = files.flatMap(input);
        const both = await Engine.create(await openNodeDuckDb(), { analyses: 'both' });
        const r = await both.load(inputs);
        expect(r.errors).toEqual([]);
        for (const t of STREAMED) {
          const [[sqlOnly]] = both.query(`SELECT count(*)::INTEGER FROM (SELECT * FROM ${t} EXCEPT ALL SELECT * FROM stream_${t})`).rows;
          const [[streamOnly]] = both.query(`SELECT count(*)::INTEGER FROM (SELECT * FROM stream_${t} EXCEPT ALL SELECT * FROM ${t})`).rows;
          expect({ table: t, sqlOnly, streamOnly }).toEqual({ table: t, sqlOnly: 0, streamOnly: 0 });
        }
        // A mailbox never holds fewer than no messages (a message in and out at one event counts in, then out).
        expect(both.query('SELECT count(*)::INTEGER FROM mailbox_depth WHERE depth < 0').rows).toEqual([[0]]);
        // An engine on the stream: everything built on the streamed tables comes out the same as from the SQL ones.
        const stream = await Engine.create(await openNodeDuckDb(), { analyses: 'stream' });
        expect(stream.analyses).toBe('stream');
        expect((await stream.load(inputs)).errors).toEqual([]);
        for (const t of [...STREAMED, ...DOWNSTREAM]) expect({ table: t, rows: sortedRows(stream, t) }).toEqual({ table: t, rows: sortedRows(both, t) });
      },
      180_000,
    );
  }

  it('native DuckDB (the CLI engine): the same on merged archives', async () => {
    const e = await Engine.create(await openNativeConnection(), { analyses: 'both' });
    try {
      const r = await e.load(['scenarios/call-timeout.zip', 'archives/demo.zip', 'scenarios/name-resolution.zip'].flatMap(input));
      expect(r.errors).toEqual([]);
      for (const t of STREAMED) {
        const [[sqlOnly, streamOnly, rows]] = e.query(
          `SELECT (SELECT count(*) FROM (SELECT * FROM ${t} EXCEPT ALL SELECT * FROM stream_${t}))::INTEGER,
                  (SELECT count(*) FROM (SELECT * FROM stream_${t} EXCEPT ALL SELECT * FROM ${t}))::INTEGER,
                  (SELECT count(*) FROM ${t})::INTEGER`,
        ).rows;
        expect({ table: t, sqlOnly, streamOnly, some: Number(rows) > 0 }).toEqual({ table: t, sqlOnly: 0, streamOnly: 0, some: true });
      }
    } finally {
      e.db.close();
    }
  }, 180_000);

  // Every fixture loaded at once: the archives of nonode@nohost, each recorded by a run of its own, keep their
  // processes apart (node-runs.ts), so each keeps its messages' statuses.
  it('the fixtures exercise every message status and table', async () => {
    const e = await Engine.create(await openNodeDuckDb(), { analyses: 'both' });
    await e.load(cases.flat().flatMap(input));
    const statuses = e.query(`SELECT DISTINCT status FROM stream_messages ORDER BY 1`).rows.map((r) => r[0]);
    expect(statuses).toEqual(
      expect.arrayContaining([
        'after_timeout',
        'alias_inactive',
        'queued_at_end',
        'received',
        'receiver_exited',
        'send_to_dead',
        'sender_not_traced',
        'signal',
        'unregistered_name',
      ]),
    );
    for (const t of STREAMED) expect(Number(e.query(`SELECT count(*) FROM stream_${t}`).rows[0][0])).toBeGreaterThan(0);
    // and the two analyses agree on the whole merge too
    for (const t of STREAMED) {
      const [[differ]] = e.query(
        `SELECT count(*)::INTEGER FROM ((SELECT * FROM ${t} EXCEPT ALL SELECT * FROM stream_${t}) UNION ALL (SELECT * FROM stream_${t} EXCEPT ALL SELECT * FROM ${t}))`,
      ).rows;
      expect({ table: t, differ }).toEqual({ table: t, differ: 0 });
    }
  }, 600_000);
});
