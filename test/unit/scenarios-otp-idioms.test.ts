import { describe, expect, it } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/otp_idioms.exs, recorded by OTP 25 and OTP 27 (new processes traced): everyday OTP idioms whose outcome the
// script checks while it runs. Re-recording changes pids and seqs: these answers use neither.
const STATES = `SELECT p.module, s.callback, s.origin, s.state FROM states s JOIN processes p USING (node, pid)
                WHERE p.module = $m ORDER BY s.seq`;
const statesOf = (module: string) => STATES.replace('$m', `'${module}'`);

for (const name of ['otp-idioms.zip', 'otp-idioms-otp27.zip'])
  describe(`everyday OTP idioms (${name})`, () => {
    const loaded = loadScenario(name);

    // Regression test: `:sys.replace_state/2` runs no callback, so the state it set was in no `states` row: the
    // state before it read as current until the next callback (5 while it was 50), and that callback's change held
    // the replacement's too (5 -> 51 for a cast that adds 1). Its reply is the new state (OTP 26+: `{:ok, state}`).
    it('a state replaced with :sys.replace_state is a states row of its own, from its reply', async () => {
      const e = await loaded;
      expect(rows(e, statesOf('Scn.Counter'))).toEqual([
        ['Scn.Counter', 'init', 'initial', '5'],
        ['Scn.Counter', 'handle_call', 'message', '5'],
        ['Scn.Counter', 'replace_state', 'replaced', '50'],
        ['Scn.Counter', 'handle_cast', 'message', '51'],
        ['Scn.Counter', 'handle_call', 'message', '51'],
        // a replace_state whose fun raised (its reply {:error, {:callback_failed, ...}}) kept the state: no row
        ['Scn.Counter', 'handle_call', 'message', '51'],
        // the hot upgrade: :sys.change_code called code_change/3
        ['Scn.Counter', 'code_change', 'code_change', '{:v2, 51}'],
        ['Scn.Counter', 'handle_call', 'message', '{:v2, 51}'],
      ]);
      expect(rows(e, `SELECT c.before, c.after FROM state_changes c JOIN processes p USING (node, pid) WHERE p.module = 'Scn.Counter' ORDER BY c.seq`)).toEqual(
        [
          ['5', '50'],
          ['50', '51'],
          ['51', '{:v2, 51}'],
        ],
      );
      // between the replacement and the cast, the state at that instant is the replaced one
      expect(
        rows(
          e,
          `SELECT s.state FROM states s JOIN processes p USING (node, pid)
         WHERE p.module = 'Scn.Counter' AND s.ts <= (SELECT min(m.received_at) FROM messages m WHERE m.msg = '{:"$gen_cast", :incr}')
           AND coalesce(s.until_ts, 9e18) > (SELECT min(m.received_at) FROM messages m WHERE m.msg = '{:"$gen_cast", :incr}')`,
        ),
      ).toEqual([['50']]);
    });

    // Regression test: a gen_statem whose init returned {:ok, :on, 0} (its data a counter at 0) read as a GenServer's
    // {:ok, state, timeout}: its first state was :on, not {:on, 0}.
    it("a gen_statem's init with data a gen_server would read as a timeout, and replace_state on it", async () => {
      const e = await loaded;
      expect(rows(e, statesOf('Scn.Switch'))).toEqual([
        ['Scn.Switch', 'init', 'initial', '{:on, 0}'],
        ['Scn.Switch', 'on', 'message', '{:off, 1}'],
        ['Scn.Switch', 'replace_state', 'replaced', '{:on, 7}'],
        ['Scn.Switch', 'on', 'message', '{:off, 8}'],
      ]);
    });

    it('Agent, async_stream killing its late tasks, a supervisor giving up, timers: as the script saw them', async () => {
      const e = await loaded;
      expect(rows(e, statesOf('Agent.Server')).map((r) => r[3])).toEqual(['0', '1', '2', '3', '13', '13']);
      expect(rows(e, statesOf('Scn.Ticker')).map((r) => r[3])).toEqual(['[]', '[1]', '[3, 1]', '[3, 1]']);
      expect(rows(e, `SELECT exit_reason, count(*) FROM processes WHERE module = 'Task.Supervised' GROUP BY ALL ORDER BY ALL`)).toEqual([
        [':killed', 2],
        [':normal', 3],
      ]);
      expect(
        rows(
          e,
          `SELECT module, count(*), min(CASE WHEN starts_with(exit_reason, '{%RuntimeError{message: "boom"}, ') THEN 'boom' ELSE exit_reason END) FROM processes WHERE module IN ('DynamicSupervisor', 'Scn.Calm', 'Scn.Fragile')
         GROUP BY ALL ORDER BY ALL`,
        ),
      ).toEqual([
        ['DynamicSupervisor', 1, ':shutdown'],
        ['Scn.Calm', 1, ':shutdown'],
        ['Scn.Fragile', 3, 'boom'],
      ]);
      // three crashes and two restarts: under restart_count (3), no restart_loop
      expect(rows(e, `SELECT kind, count(*) FROM anomalies WHERE kind IN ('crash', 'restart_loop') GROUP BY ALL`)).toEqual([['crash', 5]]);
      expect(rows(e, `SELECT callee, shape, calls, replies FROM call_groups WHERE starts_with(callee, '{:') ORDER BY ALL`)).toEqual([
        ['{:global, :scn_idioms_g}', ':hit', 1, 1],
        ['{:via, Registry, {Scn.Reg, :svc}}', ':hit', 2, 2],
      ]);
    });
  });
