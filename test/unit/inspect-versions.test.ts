// test/scenarios/inspect_order.exs recorded on Elixir 1.14 / OTP 25 and on Elixir 1.18 / OTP 27: each archive's
// states must print exactly as the recording node's own inspect/1 printed them (NAME.json beside it), whichever
// way the analyses run. OTP 26+ orders small maps' atom keys by when the atoms were made, and 1.18 escapes
// invisible characters and keeps a Regex's options as a list.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';

const dir = path.resolve(__dirname, '../fixtures/scenarios');

describe.each(['1.14', '1.18'])('states of an Elixir %s archive print as its node printed them', (version) => {
  const name = `inspect-order-${version}.zip`;
  const expected = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as { elixir: string; states: string[] };

  test.each(['sql', 'stream'] as const)(
    'analyses: %s',
    async (analyses) => {
      expect(expected.elixir.startsWith(version)).toBe(true);
      const e = await Engine.create(await openNodeDuckDb(), { analyses });
      const report = await e.load([{ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) }]);
      expect(report.errors).toEqual([]);
      expect(e.query(`SELECT state FROM states ORDER BY seq`).rows.map((r) => r[0])).toEqual(expected.states);
    },
    120_000,
  );
});
