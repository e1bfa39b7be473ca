import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/state_enter.exs: Scn.Light, a gen_statem with state enter calls, flipped off -> on -> off by two casts
// (receives #12, #13), then asked how often it entered a state (#14): enter calls after init (#7) and each flip.
describe('a gen_statem with state enter calls', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await loadScenario('state-enter.zip');
  });

  // Regression test: an enter call read as a state that followed from a message.
  it('a state after an enter call follows from the enter, not from a message', () => {
    expect(rows(e, `SELECT seq, message, state, origin, recv_seq FROM states ORDER BY seq`)).toEqual([
      [4, ':ok', '{:off, %{enters: 0}}', 'initial', null],
      [7, '{:enter, :off}', '{:off, %{enters: 1}}', 'enter', null],
      [16, '{:cast, :flip}', '{:on, %{enters: 1}}', 'message', 12],
      [18, '{:enter, :off}', '{:on, %{enters: 2}}', 'enter', null],
      [20, '{:cast, :flip}', '{:off, %{enters: 2}}', 'message', 13],
      [22, '{:enter, :on}', '{:off, %{enters: 3}}', 'enter', null],
      [24, expect.stringMatching(/^\{\{:call, /), '{:off, %{enters: 3}}', 'message', 14],
    ]);
  });
});
