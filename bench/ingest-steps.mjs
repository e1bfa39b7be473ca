// `node bench/ingest-steps.mjs ARCHIVE [RUNS]`: where an otpscope archive's load spends its CPU time from bytes to
// rows inserted, by stages that each add one step to the previous (medians of RUNS, stages alternating in one
// process): zip + ETF decode of the chunks; + event objects (decodeChunk); + rendering each event's texts; + the
// EventSink (columns, call messages, states); + Arrow IPC encoding; the whole engine load up to 'analysing' (adds
// the DuckDB inserts, measured on their own too); and the floor: DuckDB-WASM inserting the same events_raw rows
// from pre-built Arrow IPC. CPU time (user + system of this process), not wall time: on a shared machine a step's
// wall time is mostly waiting for a core.
import { readFileSync } from 'node:fs';

const { register } = await import('tsx/esm/api');
register();
const { readZip } = await import('../src/archive/zip.ts');
const { decodeTerm } = await import('../src/archive/etf/decode.ts');
const { openSource, groupInputs } = await import('../src/archive/formats.ts');
const { EventSink } = await import('../src/engine/ingest/event-sink.ts');
const { TermText } = await import('../src/engine/ingest/text.ts');
const { Engine } = await import('../src/engine/engine.ts');
const { openNodeDuckDb } = await import('../src/engine/duckdb/open-node.ts');
const { eventsIpc, EVENTS_RAW_DDL } = await import('./core/load-run.ts');

const file = process.argv[2];
const bytes = new Uint8Array(readFileSync(file));
const runs = Number(process.argv[3] ?? 3);
const only = process.argv[4]?.split(',');
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const input = { name: 'x.zip', bytes };

async function opened(objects) {
  const { groups } = groupInputs([input]);
  return openSource(groups[0], { eventObjects: objects });
}

/** Reads the archive into an EventSink (columns, call messages, states), emptying it every 200k rows: with `ipc`, as Arrow IPC. */
async function sinkStage(objects, ipc) {
  const src = await opened(objects);
  const sink = new EventSink(0, 0);
  sink.useRender(src.render);
  for (const f of src.processes) sink.addFact(f);
  const empty = () => (ipc ? sink.drain() : resetSink(sink));
  for await (const b of src.batches) {
    if (b.columns) sink.addColumns(b.columns);
    for (const ev of b.events) sink.add(ev);
    if (sink.events.length >= 200_000) empty();
  }
  empty();
  return sink.count;
}

const stages = {
  async etf() {
    const zip = readZip(bytes, 'x.zip');
    let n = 0;
    for (const e of zip.entries) if (/^events\/\d+\.etf$/.test(e.name)) n += decodeTerm(await e.data()) ? 1 : 0;
    return n;
  },
  async 'objects: + terms decoded, event objects'() {
    const src = await opened(true);
    let n = 0;
    for await (const b of src.batches) n += b.events.length;
    return n;
  },
  async 'objects: + each event rendered'() {
    const src = await opened(true);
    const t = new TermText(src.render);
    let n = 0;
    for await (const b of src.batches)
      for (const ev of b.events) {
        if (ev.kind !== 'drop') t.pid(ev.pid);
        if (ev.term !== undefined) t.term(ev.term);
        if (ev.peer !== undefined) t.pid(ev.peer);
        if (ev.mfa !== undefined) t.mfa(ev.mfa);
        n++;
      }
    return n;
  },
  'objects: + EventSink': () => sinkStage(true, false),
  'objects: + Arrow IPC': () => sinkStage(true, true),
  async 'columns: + terms decoded, columns'() {
    const src = await opened(false);
    let n = 0;
    for await (const b of src.batches) n += b.events.length + (b.columns?.n ?? 0);
    return n;
  },
  'columns: + EventSink': () => sinkStage(false, false),
  'columns: + Arrow IPC': () => sinkStage(false, true),
};

function resetSink(sink) {
  // the columns without the IPC: empty every builder the way drain() does, without encoding
  for (const k of Object.keys(sink)) {
    const b = sink[k];
    if (b && typeof b.reset === 'function' && typeof b.toIPC === 'function') b.reset();
  }
}

async function load(objects, skipAnalyses = true) {
  const db = await openNodeDuckDb();
  const engine = await Engine.create(db);
  // up to 'analysing' only: the analysis tables are not this bench's subject
  if (skipAnalyses) engine.rebuild = () => [];
  const conn = engine.db;
  let insert = 0;
  let ingesting = true;
  const f = conn.insertArrowIpc.bind(conn);
  conn.insertArrowIpc = (...a) => {
    const t = cpu();
    try {
      return f(...a);
    } finally {
      if (ingesting) insert += cpu() - t;
    }
  };
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let peak = heap0;
  const t0 = cpu();
  const w0 = performance.now();
  let t1 = NaN;
  let w1 = NaN;
  const r = await engine.load(
    [input],
    (p) => {
      // once per batch: the JS heap while the chunks stream in
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      if (p.phase === 'analysing' && ingesting) {
        ingesting = false;
        t1 = cpu();
        w1 = performance.now();
      }
    },
    { eventObjects: objects },
  );
  if (r.errors.length) throw new Error(JSON.stringify(r.errors));
  globalThis.gc?.();
  const events = r.events;
  const held = process.memoryUsage().heapUsed - heap0;
  return { total: t1 - t0, wall: w1 - w0, insert, db, peakHeapPerEvent: (peak - heap0) / events, perEvent: (Math.max(0, held) + db.wasmBytes()) / events };
}

async function floor(ipc) {
  const db = await openNodeDuckDb();
  db.conn.query(EVENTS_RAW_DDL);
  const t0 = cpu();
  for (const chunk of ipc) db.conn.insertArrowFromIPCStream(chunk, { name: 'events_raw', create: false });
  const ms = cpu() - t0;
  db.close();
  return ms;
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const all = {};
const push = (k, v) => (all[k] ??= []).push(v);
// warm-up: the first load in a process pays wasm compilation and first-use planning
let ipc;
if (!only || only.includes('load')) {
  const w = await load(false);
  ipc = eventsIpc(w.db);
  w.db.close();
}
const names = Object.keys(stages).filter((k) => !only || only.includes(k));
for (let i = 0; i < runs; i++) {
  for (const k of names) {
    globalThis.gc?.();
    const t = cpu();
    await stages[k]();
    push(k, cpu() - t);
  }
  if (!only || only.includes('load')) {
    globalThis.gc?.();
    for (const objects of [true, false]) {
      globalThis.gc?.();
      const l = await load(objects);
      const way = objects ? 'objects' : 'columns';
      push(`${way}: engine load to 'analysing'`, l.total);
      push(`${way}:   of which DuckDB inserts`, l.insert);
      push(`${way}: the same load's wall time, ms`, l.wall);
      push(`${way}: JS heap peak over the load, B/event`, l.peakHeapPerEvent);
      push(`${way}: JS heap held + wasm memory after it, B/event`, l.perEvent);
      l.db.close();
    }
    globalThis.gc?.();
    push('floor (events_raw IPC insert)', await floor(ipc));
  }
  console.error(
    `run ${i + 1}/${runs} done: ${Object.entries(all)
      .map(([k, xs]) => `${k.trim()} ${xs.at(-1).toFixed(0)}`)
      .join('; ')}`,
  );
}
for (const [k, xs] of Object.entries(all))
  console.log(
    `${k.padEnd(48)} ${med(xs).toFixed(0).padStart(7)} ${k.includes('B/event') ? 'B     ' : k.includes('wall') ? 'ms    ' : 'ms CPU'}   (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`,
  );
