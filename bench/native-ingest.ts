/**
 * Where a native CLI load's time goes, one phase at a time in a fresh process (bench/engines.ts spawns it):
 * `node --import tsx bench/native-ingest.ts FILE` prints one JSON line with wall and CPU (every thread) of
 *
 * - decode: the archive's reader alone (unzip, ETF, events as objects);
 * - arrow: decode again, this time through the engine's EventSink into Arrow IPC batches (the figure minus
 *   `decode` is the Arrow build);
 * - insert: those batches appended to native DuckDB's raw tables (native-ingest-node.ts), until the last is in,
 *   and `tables`: the same per raw table (each batch waited for before the next is sent). DuckDB compresses the
 *   rows appended so far whenever a commit takes them past its checkpoint threshold, so that work lands on
 *   whichever table's batch crossed it (at 1M ping-pong events mostly consumed_raw's), not on the table it was for;
 * - checkpoint: the CHECKPOINT a load runs after its inserts (Engine.compressTables), what was left to compress;
 * - analyse: the analysis tables built over them (the same statements as a load's).
 *
 * A real load interleaves decode and insert (the DuckDB thread appends one batch while the next is decoded),
 * so `engines`' "bytes → every table ready" is below the sum of these.
 */
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import path from 'node:path';
import { openNativeConnection } from '../src/engine/duckdb/native-node';
import { Engine } from '../src/engine/engine';
import { EventSink } from '../src/engine/ingest/event-sink';
import { groupInputs, openSource } from '../src/archive/formats';
import { batchSize } from '../src/archive/trace-event';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: native-ingest.ts FILE');
const bytes = new Uint8Array(readFileSync(file));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const phases: Record<string, { wallMs: number; cpuMs: number }> = {};
const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
  const c = cpuMs();
  const t = performance.now();
  const out = await fn();
  phases[name] = { wallMs: performance.now() - t, cpuMs: cpuMs() - c };
  return out;
};

const group = () => {
  const { groups, errors } = groupInputs([{ name: path.basename(file), bytes }]);
  if (errors.length > 0 || groups.length !== 1) throw new Error(`${file}: ${errors.map((e) => e.message).join('; ') || 'not one trace'}`);
  return groups[0];
};

let events = 0;
await phase('decode', async () => {
  const opened = await openSource(group());
  for await (const batch of opened.batches) events += batchSize(batch);
});

const FLUSH_ROWS = 200_000;
const ipcs = await phase('arrow', async () => {
  const out: [string, Uint8Array][] = [];
  const opened = await openSource(group());
  const sink = new EventSink(0, 0);
  sink.useRender(opened.render);
  for (const f of opened.processes) sink.addFact(f);
  for (const t of opened.trees) sink.addTree(t.snapshot, t.node, t.term);
  for await (const batch of opened.batches) {
    if (batch.render) sink.useRender(batch.render);
    // Archives come as columns per chunk, raw traces and drop records as objects (as Engine.load feeds the sink).
    if (batch.columns) sink.addColumns(batch.columns);
    for (const ev of batch.events) sink.add(ev);
    for (const f of batch.processes ?? []) sink.addFact(f);
    for (const t of batch.trees ?? []) sink.addTree(t.snapshot, t.node, t.term);
    // Copies: each drain writes over the bytes of the one before.
    if (sink.events.length >= FLUSH_ROWS) out.push(...sink.drain().map(([t, ipc]): [string, Uint8Array] => [t, ipc.slice()]));
  }
  sink.finish();
  out.push(...sink.drain());
  return out;
});

const db = await openNativeConnection();
const engine = await Engine.create(db);
const tables: Record<string, { rows: number; wallMs: number; cpuMs: number }> = {};
await phase('insert', async () => {
  for (const [table, ipc] of ipcs) {
    // Counted first: the insert hands the buffer over to the DuckDB thread.
    const rows = tableFromIPC(ipc).numRows;
    const c = cpuMs();
    const t = performance.now();
    db.insertArrowIpc(table, ipc);
    // Inserts do not wait; the next call that does waits for all of them.
    db.query('SELECT 1');
    const split = (tables[table] ??= { rows: 0, wallMs: 0, cpuMs: 0 });
    split.rows += rows;
    split.wallMs += performance.now() - t;
    split.cpuMs += cpuMs() - c;
  }
});
await phase('checkpoint', async () => db.query('CHECKPOINT'));
// NO_ANALYSE=1: stop after the insert (to profile it alone).
if (!process.env.NO_ANALYSE) await phase('analyse', async () => engine.ensureTables());
const [[rows]] = db.query('SELECT count(*) FROM events_raw').rows;
db.close();
console.log(
  JSON.stringify({
    file: path.basename(file),
    events,
    rows: Number(rows),
    phases,
    tables: Object.fromEntries(Object.entries(tables).map(([t, s]) => [t, { rows: s.rows, wallMs: Math.round(s.wallMs), cpuMs: Math.round(s.cpuMs) }])),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
