import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupInputs, openSource } from '../../src/archive/formats';
import { batchSize, eventsOf, type TraceBatch } from '../../src/archive/trace-event';
import { EventSink, RAW_TABLES } from '../../src/engine/ingest/event-sink';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { EventStore } from '../../src/engine/stream/event-store';

// An otpscope archive's chunks are ingested as columns (no object per event, each table entry rendered once);
// the raw tables they make must be the very bytes the one-object-per-event ingest makes: same rows, same texts.

const fixtures = path.resolve(__dirname, '../fixtures');
const archives = ['archives', 'scenarios'].flatMap((d) =>
  readdirSync(path.join(fixtures, d))
    .filter((f) => f.endsWith('.zip'))
    .map((f) => `${d}/${f}`),
);

/** Every raw table's Arrow IPC after ingesting the archive one way, and the store's columns (stream mode). */
async function ingest(rel: string, objects: boolean, dictionary = false, withStore = true) {
  const file = { name: rel, bytes: new Uint8Array(readFileSync(path.join(fixtures, rel))) };
  const src = await openSource(groupInputs([file]).groups[0], { eventObjects: objects });
  const store = new EventStore();
  const sink = new EventSink(3, 10, withStore ? store : undefined, { dictionary });
  sink.useRender(src.render);
  for (const f of src.processes) sink.addFact(f);
  let columns = 0;
  let n = 0;
  for await (const b of src.batches as AsyncIterable<TraceBatch>) {
    if (b.columns) {
      columns++;
      sink.addColumns(b.columns);
    }
    for (const ev of b.events) sink.add(ev);
    n += batchSize(b);
  }
  const tables = Object.fromEntries(sink.drain());
  const s = store;
  const upTo = <T extends { slice(a: number, b: number): T }>(a: T, k = 1) => a.slice(0, k * s.length);
  const storeCols = {
    columns: [upTo(s.tsw, 2), upTo(s.kind), upTo(s.proc), upTo(s.peer), upTo(s.termId), upTo(s.mfa), upTo(s.flags), upTo(s.from), upTo(s.term), upTo(s.took)],
    texts: [s.procs.node, s.procs.pid, s.mfas.texts, s.terms.texts],
    tags: [...s.tags],
  };
  return { tables, columns, n, count: sink.count, storeCols };
}

describe('archive ingest by columns', () => {
  for (const rel of archives)
    it(`${rel}: every raw table byte-identical to the one-object-per-event ingest`, async () => {
      const cols = await ingest(rel, false);
      const objs = await ingest(rel, true);
      expect(cols.columns).toBeGreaterThan(0);
      expect(objs.columns).toBe(0);
      expect(cols.count).toBe(objs.count);
      expect(cols.n).toBe(cols.count);
      expect(Object.keys(cols.tables).sort()).toEqual(Object.keys(objs.tables).sort());
      for (const [name, ipc] of Object.entries(objs.tables)) expect(Buffer.from(cols.tables[name]).equals(Buffer.from(ipc)), name).toBe(true);
      expect(cols.storeCols).toEqual(objs.storeCols);
    });

  // Without a store (the SQL analyses) the columns ingest writes each term's text straight into the term column's
  // bytes, and copies it for the chunk's later events that carry the same term.
  for (const rel of archives)
    it(`${rel}: without a store, every raw table byte-identical to the one-object-per-event ingest`, async () => {
      const cols = await ingest(rel, false, false, false);
      const objs = await ingest(rel, true, false, false);
      expect(Object.keys(cols.tables).sort()).toEqual(Object.keys(objs.tables).sort());
      for (const [name, ipc] of Object.entries(objs.tables)) expect(Buffer.from(cols.tables[name]).equals(Buffer.from(ipc)), name).toBe(true);
      // and the texts it writes as bytes are those the store's ingest renders as strings
      const strings = await ingest(rel, true);
      for (const [name, ipc] of Object.entries(strings.tables)) expect(Buffer.from(cols.tables[name]).equals(Buffer.from(ipc)), name).toBe(true);
    });

  // The browser's ingest sends the few-valued texts as Arrow dictionaries; DuckDB-WASM must hold the same rows.
  it('with dictionary columns every raw table holds the same rows in DuckDB-WASM, on every fixture archive', async () => {
    const types = { i64: 'BIGINT', i32: 'INTEGER', f64: 'DOUBLE', str: 'VARCHAR', bool: 'BOOLEAN' } as const;
    for (const rel of archives) {
      const db = await openNodeDuckDb();
      for (const [way, dictionary] of [
        ['plain', false],
        ['dict', true],
      ] as const) {
        const { tables } = await ingest(rel, false, dictionary);
        for (const [name, spec] of RAW_TABLES) {
          db.conn.query(
            `CREATE TABLE ${way}_${name} (${Object.entries(spec)
              .map(([c, t]) => `"${c}" ${types[t]}`)
              .join(', ')})`,
          );
          if (tables[name]) db.conn.insertArrowFromIPCStream(tables[name], { name: `${way}_${name}`, create: false });
        }
      }
      for (const [name] of RAW_TABLES) {
        const [r] = db.conn
          .query(
            `SELECT (SELECT count(*) FROM plain_${name})::INTEGER AS n,
                    (SELECT count(*) FROM (SELECT * FROM plain_${name} EXCEPT ALL SELECT * FROM dict_${name}))::INTEGER AS missing,
                    (SELECT count(*) FROM (SELECT * FROM dict_${name} EXCEPT ALL SELECT * FROM plain_${name}))::INTEGER AS extra`,
          )
          .toArray();
        expect({ rel, name, ...r.toJSON(), n: undefined }).toEqual({ rel, name, missing: 0, extra: 0, n: undefined });
        if (name === 'events_raw') expect(r.toJSON().n, rel).toBeGreaterThan(0);
      }
      db.close();
    }
  }, 600_000);

  it('eventsOf gives a columns batch the events the object reader gives', async () => {
    const file = { name: 'demo.zip', bytes: new Uint8Array(readFileSync(path.join(fixtures, 'archives/demo.zip'))) };
    const all = async (objects: boolean) => {
      const src = await openSource(groupInputs([file]).groups[0], { eventObjects: objects });
      const out = [];
      for await (const b of src.batches) out.push(...eventsOf(b));
      return out;
    };
    const a = await all(false);
    expect(a.length).toBeGreaterThan(50);
    expect(a).toEqual(await all(true));
  });
});
