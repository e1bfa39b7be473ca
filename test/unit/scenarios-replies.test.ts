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

  it("reads a port's answers to BIFs as port replies: never in a mailbox, not left unconsumed", async () => {
    const e = await loadScenario('callback-replies.zip');
    // gen_tcp.connect and controlling_process in the script's process: port_control's answers and port_connect's
    expect(
      rows(
        e,
        `SELECT regexp_extract(msg, '^\\{#Port<[0-9.]+>, (:connected|\\{:control)', 1) AS what, count(*), bool_and(recv_seq IS NULL AND starts_with(from_pid, '#Port<'))
         FROM messages WHERE status = 'port_reply' GROUP BY ALL ORDER BY what`,
      ),
    ).toEqual([
      [':connected', 1, true],
      ['{:control', 7, true],
    ]);
    expect(rows(e, `SELECT count(*) FROM anomalies WHERE kind = 'unconsumed'`)).toEqual([[0]]);
    // nothing of them sits in the script process's mailbox at the end
    const script = `(SELECT DISTINCT to_pid FROM messages WHERE status = 'port_reply')`;
    expect(rows(e, `SELECT count(*) FROM mailbox_at((SELECT max(ts) FROM events)) WHERE pid = ${script}`)).toEqual([[0]]);
  }, 120_000);
});

// test/scenarios/alias_replies.exs (every process traced): replies sent to an alias that no GenServer call carried:
// a Task's {ref, result}, :sys.get_state's reply, a gen_event call's, and a message to an :erlang.alias/0.
describe('sends to an alias', () => {
  it("pair with the receive of the alias's owner, as a call's alias does", async () => {
    const e = await loadScenario('alias-replies.zip');
    const toAlias = `send_seq IN (SELECT seq FROM events WHERE kind = 'send' AND starts_with(peer, '#Reference<'))`;
    expect(
      rows(
        e,
        `SELECT count(*), bool_and(status = 'received' AND to_pid = (SELECT pid FROM events WHERE seq = recv_seq) AND received_at >= sent_at)
         FROM messages WHERE ${toAlias}`,
      ),
    ).toEqual([[5, true]]);
    expect(rows(e, `SELECT msg FROM messages WHERE ${toAlias} ORDER BY send_seq`).map(([m]) => String(m).replace(/#Reference<[0-9.]+>/g, 'R'))).toEqual([
      '{R, :task_result}',
      '{[:alias | R], 41}',
      '{[:alias | R], 41}',
      '{[:alias | R], 2}',
      '{:via_alias, 1}',
    ]);
    // no half of any of them is left unpaired
    expect(
      rows(
        e,
        `SELECT count(*) FROM messages WHERE status IN ('receiver_not_traced', 'sender_not_traced') AND (msg LIKE '%task_result%' OR msg LIKE '{[:alias | %' OR msg LIKE '{:via_alias%')`,
      ),
    ).toEqual([[0]]);
  }, 120_000);
});
