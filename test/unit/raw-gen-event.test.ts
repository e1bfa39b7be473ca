import { describe, expect, it } from 'vitest';
import { loadFixtures as load, readFixture as read } from '../support/raw-fixtures';

// test/fixtures/raw/raw_events.erl: a gen_event manager with two handlers, its messages and its handlers' calls traced
// (dbg:p(M, [m, c]), dbg:tp(Handler, []): no returns), as a whole node's calls are traced. A notify runs both handlers'
// handle_event/2, a plain message both handle_info/2, a sync_notify both handle_event/2; a notify comes last.
for (const dir of ['raw', 'otp27/raw']) {
  describe(`a gen_event manager's messages in a raw trace (${dir})`, () => {
    // Regression test: the handlers' handle_info/2 made the manager read as a GenServer whose callbacks take its
    // messages one by one, so the notify that came last (no handle_info after it) read `queued_at_end` with an
    // `unconsumed` anomaly (as Elixir 1.14's Logger did in a trace of a whole node), though both handlers ran for it.
    it('are taken as they come: none is left in the mailbox', async () => {
      const { engine } = await load([read(`${dir}/events.trace`)]);
      expect(
        engine.query(`SELECT recv_seq::INTEGER, status, consumed_seq, taken_at = received_at FROM messages WHERE recv_seq IS NOT NULL ORDER BY recv_seq`).rows,
      ).toEqual([
        [0, 'sender_not_traced', null, true],
        [1, 'sender_not_traced', null, true],
        [2, 'sender_not_traced', null, true],
        [10, 'sender_not_traced', null, true],
        [13, 'sender_not_traced', null, true],
      ]);
      expect(engine.query(`SELECT kind FROM anomalies`).rows).toEqual([]);
    });
  });
}
