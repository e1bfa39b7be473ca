import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';

// huge-switch.zip (test/scenarios/huge_switch.exs): a GenServer whose fourth call carries a 100 000-element list,
// so the recorder stops tracing its calls at that call's trace message, while the callback still runs (it sleeps
// 200 ms); its state is read from then on (`sampled` states). Re-recording changes seqs: update these answers.
// Recorded by OTP 25 and by OTP 27 (huge-switch-otp27.zip), with the same seqs.
const bytes = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/scenarios/${name}`, import.meta.url)));

describe('a call in flight when the recorder stopped tracing its process', () => {
  // Regression test: the {:load, ...} call had no return in the trace, so its span was `unfinished` and the Timeline
  // drew it to the end of the trace; the state read 216 ms after it shows it had returned by then.
  for (const [name, analyses] of [
    ['huge-switch.zip', 'sql'],
    ['huge-switch.zip', 'stream'],
    ['huge-switch-otp27.zip', 'sql'],
  ] as const) {
    it(`ends at the next sampled read of its state, as untraced (${name}, ${analyses})`, async () => {
      const e = await Engine.create(await openNodeDuckDb(), { analyses });
      expect((await e.load([{ name, bytes: bytes(name) }])).errors).toEqual([]);
      const q = (sql: string) => e.query(sql, 1000).rows;
      expect(q(`SELECT seq, origin FROM states WHERE callback = 'get_state' ORDER BY seq`)).toEqual([
        [0, 'read_at_start'],
        [25, 'sampled'],
        [26, 'sampled'],
      ]);
      expect(
        q(`SELECT call_seq, end_seq, outcome, ended_at = (SELECT ts FROM events WHERE seq = 25) AS at_read,
                  duration_ns = ended_at - started_at AND self_ns = duration_ns AS times, result
             FROM spans ORDER BY call_seq`),
      ).toEqual([
        [3, 4, 'return', false, true, '{:reply, 1, %{n: 1}}'],
        [9, 10, 'return', false, true, '{:reply, 2, %{n: 2}}'],
        [15, 16, 'return', false, true, '{:reply, 3, %{n: 3}}'],
        [21, null, 'untraced', true, true, null],
      ]);
      // the callback slept 200 ms: the read came after it returned
      expect(q(`SELECT duration_ns >= 200000000 FROM spans WHERE call_seq = 21`)).toEqual([[true]]);
      // a duration bounded by a read is no measured callback time
      expect(q(`SELECT count(*)::INTEGER FROM anomalies WHERE kind = 'slow_callback'`)).toEqual([[0]]);
    });
  }
});
