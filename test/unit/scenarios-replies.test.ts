import { describe, expect, it } from 'vitest';
import { loadScenario, rows } from './scenarios-load';

// test/scenarios/callback_replies.exs (every process traced): Scn.Helper's handle_call loads two modules of the
// standard library (the code server replies {:code_server, {:module, M}}) and sends three lines with gen_tcp
// ({:inet_reply, port, :ok} from the port). Those replies are taken by the helpers inside the callback.
describe('replies that helpers inside a callback wait for', () => {
  it('are taken when received, and the server is not said to have left them in its mailbox', async () => {
    const e = await loadScenario('callback-replies.zip');
    const helper = `(SELECT pid FROM processes WHERE module = 'Scn.Helper')`;
    expect(
      rows(
        e,
        `SELECT split_part(msg, ',', 1) AS kind, status, count(*), bool_and(taken_at = received_at) FROM messages
         WHERE to_pid = ${helper} AND (starts_with(msg, '{:code_server, ') OR starts_with(msg, '{:inet_reply, ')) GROUP BY ALL ORDER BY kind`,
      ),
    ).toEqual([
      ['{:code_server', 'received', 2, true],
      ['{:inet_reply', 'received', 3, true],
    ]);
    expect(rows(e, `SELECT count(*) FROM anomalies WHERE kind = 'unconsumed' AND pid = ${helper}`)).toEqual([[0]]);
    // the requests themselves are still taken by handle_call
    expect(rows(e, `SELECT count(*) FROM messages WHERE to_pid = ${helper} AND starts_with(msg, '{:"$gen_call", ') AND consumed_seq IS NOT NULL`)).toEqual([
      [5],
    ]);
  }, 120_000);
});
