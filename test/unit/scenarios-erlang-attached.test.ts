import { describe, expect, it } from 'vitest';
import { overview } from '../../src/engine/views/overview';
import { loadScenario, rows } from './scenarios-load';

// The otpscope_record escript attached to a node with no Elixir (`erl -sname`, OTP 25, a gen_server application whose
// server calls itself through spawned processes every 50 ms): the client loaded Elixir's modules there for the
// recorder, and the manifest's elixir_version is null.
describe('an Erlang node recorded through attach mode', () => {
  // Regression test: the Overview's Sources row read "25 / null" (the manifest's JSON null flattened to text).
  it('has no Elixir version in the Overview, and its calls are there', async () => {
    const e = await loadScenario('erlang-attached.zip');
    const o = await overview((sql, max) => e.query(sql, max));
    expect(o.sources.map((s) => [s.otpRelease, s.elixirVersion])).toEqual([['25', null]]);
    expect(rows(e, `SELECT DISTINCT request, outcome FROM calls`)).toEqual([[':bump', 'reply']]);
    // meta says so as SQL does: NULL, not the text 'null' (docs/SCHEMA.md `meta`)
    expect(rows(e, `SELECT value IS NULL FROM meta WHERE key = 'elixir_version'`)).toEqual([[true]]);
    expect(rows(e, `SELECT count(*) FROM meta WHERE value = 'null'`)).toEqual([[0]]);
  });
});
