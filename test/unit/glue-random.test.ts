import { afterEach, describe, expect, test, vi } from 'vitest';
import { bufferedRandom, RANDOM_POOL_BYTES } from '../../src/engine/duckdb/glue-imports';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';

// DuckDB-WASM asks WASI's random_get for 4 bytes for each hash table, sort and many other operators it builds; the
// glue answered each with its own crypto.getRandomValues call (~3,500 for the demo archive's load). The engine's
// glue imports serve them from a pool (src/engine/duckdb/glue-imports.ts bufferedRandom).

describe('bufferedRandom', () => {
  const counting = () => {
    const fills: number[] = [];
    let next = 1;
    const fill = (bytes: Uint8Array) => {
      fills.push(bytes.length);
      for (let i = 0; i < bytes.length; i++) bytes[i] = next++ & 0xff || 1;
    };
    return { fills, fill };
  };

  test('fills the pool once for many small requests, and hands each byte out once', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { fills, fill } = counting();
    const get = bufferedRandom(memory, fill);
    const seen: number[] = [];
    for (let i = 0; i < RANDOM_POOL_BYTES / 4; i++) {
      expect(get(64, 4)).toBe(0);
      seen.push(...new Uint8Array(memory.buffer, 64, 4));
    }
    expect(fills).toEqual([RANDOM_POOL_BYTES]);
    // every byte the generator gave, none twice, none left as zero
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: RANDOM_POOL_BYTES }, (_, i) => (i + 1) & 0xff || 1).sort((a, b) => a - b));
    get(64, 4);
    expect(fills).toEqual([RANDOM_POOL_BYTES, RANDOM_POOL_BYTES]);
  });

  test('a request larger than the pool is filled in parts the generator accepts', () => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const { fills, fill } = counting();
    const get = bufferedRandom(memory, fill);
    expect(get(1000, 150_000)).toBe(0);
    expect(fills).toEqual([65_536, 65_536, 150_000 - 2 * 65_536]);
    expect(new Uint8Array(memory.buffer, 1000, 150_000).includes(0)).toBe(false);
    expect(new Uint8Array(memory.buffer, 0, 1000).every((b) => b === 0)).toBe(true);
  });

  test('writes into the memory as it is after a growth', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const get = bufferedRandom(memory, counting().fill);
    memory.grow(1);
    expect(get(65_536 + 10, 8)).toBe(0);
    expect(new Uint8Array(memory.buffer, 65_536 + 10, 8).includes(0)).toBe(false);
  });
});

describe('DuckDB-WASM opened by the engine', () => {
  afterEach(() => vi.restoreAllMocks());

  // Regression test for a load's randomness costing one crypto.getRandomValues call per operator DuckDB built.
  test('draws its randomness a pool at a time, and its random values still differ between databases', async () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const a = await openNodeDuckDb();
    const b = await openNodeDuckDb();
    a.conn.query('CREATE TABLE t AS SELECT range AS x FROM range(100)');
    const before = spy.mock.calls.length;
    for (let i = 0; i < 10; i++) {
      a.conn.query('SELECT x % 7 AS k, count(*) FROM t GROUP BY k ORDER BY k');
      a.conn.query('SELECT count(*) FROM t s JOIN t u USING (x)');
    }
    // one refill of the pool at most, not a call for each table scan and hash table (~550 for these without the pool)
    expect(spy.mock.calls.length - before).toBeLessThanOrEqual(1);
    const draws = (db: typeof a) => String(db.conn.query('SELECT list(random()) FROM range(4)').toArray()[0].toJSON()['list(random())']);
    expect(draws(a)).not.toEqual(draws(b));
  }, 60_000);
});
