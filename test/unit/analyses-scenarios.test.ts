import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { sourceOfEvent } from '../../src/engine/views/source';

// Exact answers on archives recorded by test/scenarios/*.exs (record-all.sh).
// Re-recording changes pids and seqs: update these answers with it.
const dir = new URL('../fixtures/scenarios/', import.meta.url);

async function load(...names: string[]): Promise<Engine> {
  const engine = await Engine.create(await openNodeDuckDb());
  const report = await engine.load(names.map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, dir))) })));
  expect(report.errors).toEqual([]);
  return engine;
}

const rows = (e: Engine, sql: string) => e.query(sql, 10_000).rows;
const at = (seq: number) => `(SELECT ts FROM events WHERE seq = ${seq})`;

describe('call chain with a timeout', () => {
  it('matches calls through the chain, times out the client, flags the late reply and the slow callbacks', async () => {
    const e = await load('call-chain-timeout.zip');
    expect(rows(e, `SELECT call_seq, caller_pid, callee_pid, request, reply, outcome, reply_seq FROM calls ORDER BY call_seq`)).toEqual([
      [10, '<0.143.0>', '<0.142.0>', '{:work, 21}', '42', 'reply', 20],
      [13, '<0.142.0>', '<0.141.0>', '{:compute, 21}', '42', 'reply', 17],
      [22, '<0.143.0>', '<0.142.0>', '{:ping, #PID<0.143.0>, "hello"}', '{:pong, "hello"}', 'reply', 26],
      [28, '<0.143.0>', '<0.142.0>', '{:work, :slow}', ':late', 'timeout', 45],
      [31, '<0.142.0>', '<0.141.0>', '{:compute, :slow}', ':late', 'reply', 42],
    ]);
    expect(rows(e, `SELECT call_seq, latency_ns // 1000000 FROM calls WHERE latency_ns > 1000000 ORDER BY call_seq`)).toEqual([
      [28, 50],
      [31, 100],
    ]);
    expect(rows(e, `SELECT kind, severity, pid, seq, evidence_count FROM anomalies ORDER BY anomaly_id`)).toEqual([
      ['call_timeout', 'error', '<0.143.0>', 28, 3],
      ['slow_callback', 'warning', '<0.142.0>', 30, 2],
      ['slow_call', 'warning', '<0.142.0>', 31, 4],
      ['slow_callback', 'warning', '<0.141.0>', 33, 2],
      ['orphan_reply', 'warning', '<0.142.0>', 45, 2],
      // the late reply went to the alias the client deactivated when it gave up: dropped, not unconsumed
    ]);
    // why did Back reply :late? its handle_call took the request Front sent while handling the client's call
    expect(rows(e, `SELECT seq, edge, pid, kind FROM causes(42, 2)`)).toEqual([
      [42, null, '<0.141.0>', 'send'],
      [32, 'process', '<0.141.0>', 'receive'],
      [31, 'message', '<0.142.0>', 'send'],
      [29, 'process', '<0.142.0>', 'receive'],
      [28, 'message', '<0.143.0>', 'send'],
      [27, 'process', '<0.143.0>', 'receive'],
    ]);
    expect(rows(e, `SELECT status, count(*) FROM messages WHERE to_pid = '<0.143.0>' GROUP BY ALL ORDER BY ALL`)).toEqual([
      ['after_timeout', 2],
      ['alias_inactive', 1],
      ['received', 2],
      ['sender_not_traced', 1],
    ]);
  });
});

describe('crash and restart loop under a supervisor', () => {
  it('reports each crash with its last message and state, and the restart loop with its restarts', async () => {
    const e = await load('crash-restart.zip');
    expect(rows(e, `SELECT kind, pid, seq FROM anomalies ORDER BY anomaly_id`)).toEqual([
      ['crash', '<0.139.0>', 27],
      ['crash', '<0.140.0>', 47],
      ['crash', '<0.141.0>', 67],
      ['restart_loop', '<0.138.0>', 71],
      ['crash', '<0.142.0>', 87],
    ]);
    expect(rows(e, `SELECT seq FROM anomaly_events WHERE anomaly_id = 0 ORDER BY seq`).flat()).toEqual([14, 15, 27]);
    expect(rows(e, `SELECT seq FROM anomaly_events WHERE anomaly_id = 3 ORDER BY seq`).flat()).toEqual([31, 51, 71, 91]);
    expect(rows(e, `SELECT summary FROM anomalies WHERE anomaly_id = 0`)[0][0]).toMatch(
      /^Scn\.Fragile exited: \{%RuntimeError\{message: "boom after 1 hits"\}.*; last message: \{:"\$gen_cast", :boom\}; last state: %\{hits: 1\}$/,
    );
    expect(
      rows(e, `SELECT pid, parent_pid, is_supervisor, links FROM tree_at(${at(60)}) WHERE parent_pid = '<0.138.0>' OR pid = '<0.138.0>' ORDER BY pid`),
    ).toEqual([
      ['<0.138.0>', '<0.96.0>', true, '<0.141.0>'],
      ['<0.141.0>', '<0.138.0>', false, '<0.138.0>'],
    ]);
    expect(rows(e, `SELECT pid FROM alive_at(${at(60)}) WHERE name = 'Scn.Fragile'`)).toEqual([['<0.141.0>']]);
    expect(rows(e, `SELECT pid, state FROM state_at(${at(60)}) WHERE pid IN ('<0.140.0>', '<0.141.0>')`)).toEqual([['<0.141.0>', '%{hits: 0}']]);
  });

  // Regression test: the stop facts of an instance that had exited hold its spawn MFA (:proc_lib.init_p/5), which
  // took precedence over the traced init callback, so only the instance still alive at stop read Scn.Fragile.init/1.
  it('gives every instance of the restarted GenServer the initial call proc_lib recorded for it', async () => {
    const e = await load('crash-restart.zip');
    expect(rows(e, `SELECT pid, initial_call, exited_at IS NOT NULL FROM processes WHERE module = 'Scn.Fragile' ORDER BY pid`)).toEqual([
      ['<0.139.0>', 'Scn.Fragile.init/1', true],
      ['<0.140.0>', 'Scn.Fragile.init/1', true],
      ['<0.141.0>', 'Scn.Fragile.init/1', true],
      ['<0.142.0>', 'Scn.Fragile.init/1', true],
      ['<0.143.0>', 'Scn.Fragile.init/1', false],
    ]);
  });
});

describe('mailbox flood', () => {
  it('reconstructs the queue from sends and handle_info calls, and names the producer', async () => {
    const e = await load('mailbox-flood.zip');
    expect(rows(e, `SELECT kind, pid, seq FROM anomalies ORDER BY anomaly_id`)).toEqual([
      ['unconsumed', '<0.138.0>', 55],
      ['mailbox_growth', '<0.138.0>', 304],
      ['slow_callback', '<0.138.0>', 573],
    ]);
    expect(rows(e, `SELECT summary FROM anomalies WHERE kind = 'mailbox_growth'`)[0][0]).toBe(
      'Scn.Slow mailbox reached 300 messages (250 at the end); producers: <0.139.0> x300',
    );
    expect(rows(e, `SELECT count(*), min(position), max(position), arg_min(msg, position) FROM mailbox_at((SELECT max(ts) FROM events))`)).toEqual([
      [250, 1, 250, '{:job, 51}'],
    ]);
    expect(rows(e, `SELECT status, count(*) FROM messages GROUP BY ALL ORDER BY ALL`)).toEqual([
      ['after_timeout', 52],
      ['queued_at_end', 250],
      ['received', 50],
      ['receiver_not_traced', 1],
    ]);
    expect(rows(e, `SELECT max(depth) FROM mailbox_depth WHERE pid = '<0.138.0>'`)).toEqual([[300]]);
  });

  // Regression test: the peak's ts and seq were arg_max(ts, depth) and arg_max(seq, depth), each from whichever row at
  // the greatest depth the scan met first (cast-burst's queue reaches 80 at the 80th cast, and again when the client's
  // call comes in), and the depth at the end arg_max(depth, (ts, seq)), which ties when the last message came in and
  // was taken at one event (recorder-drops' sink read 1 after its :stop, taken as it came).
  it('mailbox_growth names the first time the queue peaked and the depth after its last change, however the rows are stored', async () => {
    for (const [file, expected] of [
      ['cast-burst.zip', [['<0.146.0>', 85, true, 'Scn.Backlog mailbox reached 80 messages (0 at the end); producers: <0.147.0> x80']]],
      ['recorder-drops.zip', [['<0.396.0>', 95, true, ':erlang.apply/2 mailbox reached 86 messages (0 at the end); producers: <0.398.0> x86']]],
    ] as const) {
      const e = await load(file);
      const growth = () => {
        e.setParams({ mailbox_threshold: 50 });
        return rows(e, `SELECT pid, seq, ts = (SELECT ts FROM events x WHERE x.seq = a.seq), summary FROM anomalies a WHERE kind = 'mailbox_growth'`);
      };
      expect(growth(), file).toEqual(expected);
      // the same rows stored latest first
      e.query(`CREATE TABLE mailbox_depth_backwards AS SELECT * FROM mailbox_depth ORDER BY ts DESC, delta, seq DESC NULLS FIRST`);
      e.query(`DROP TABLE mailbox_depth`);
      e.query(`ALTER TABLE mailbox_depth_backwards RENAME TO mailbox_depth`);
      expect(growth(), file).toEqual(expected);
    }
  });
});

describe('gen_statem', () => {
  it('keeps {state_name, data} states, diffs them, and matches gen_statem calls', async () => {
    const e = await load('gen-statem.zip');
    expect(rows(e, `SELECT seq, callback, state, recv_seq FROM states ORDER BY seq`)).toEqual([
      [4, 'init', '{:locked, %{code: 42, tries: 0}}', null],
      [12, 'locked', '{:locked, %{code: 42, tries: 1}}', 9],
      [14, 'locked', '{:locked, %{code: 42, tries: 1}}', 10],
      [22, 'locked', '{:open, %{code: 42, tries: 0}}', 19],
      [24, 'open', '{:open, %{code: 42, tries: 0}}', 20],
      [29, 'open', '{:locked, %{code: 42, tries: 0}}', null],
      [34, 'locked', '{:locked, %{code: 42, tries: 0}}', 32],
    ]);
    expect(rows(e, `SELECT seq, path, change, before, after FROM state_changes ORDER BY seq, path`)).toEqual([
      [12, '[1, :tries]', 'changed', '0', '1'],
      [22, '[0]', 'changed', ':locked', ':open'],
      [22, '[1, :tries]', 'changed', '1', '0'],
      [29, '[0]', 'changed', ':open', ':locked'],
    ]);
    expect(rows(e, `SELECT state FROM state_at(${at(25)})`)).toEqual([['{:open, %{code: 42, tries: 0}}']]);
    expect(rows(e, `SELECT call_seq, reply, outcome FROM calls ORDER BY call_seq`)).toEqual([
      [8, '{:locked, 1}', 'reply'],
      [18, ':open', 'reply'],
      [31, '{:locked, 0}', 'reply'],
    ]);
    expect(rows(e, `SELECT count(*) FROM anomalies`)).toEqual([[0]]);
  });
});

describe('GenServers running before the recording started', () => {
  it('has their states at start (get_state), diffs the first callback against them, and knows idle ones at any instant', async () => {
    const e = await load('start-states.zip');
    expect(rows(e, `SELECT seq, pid, callback, message, state FROM states ORDER BY seq`)).toEqual([
      [0, '<0.151.0>', 'get_state', null, '%{n: 5}'],
      [1, '<0.152.0>', 'get_state', null, '%{"a" => 1, "b" => [2, 3]}'],
      [2, '<0.153.0>', 'get_state', null, '{:locked, %{code: 7}}'],
      [5, '<0.151.0>', 'handle_cast', ':bump', '%{n: 6}'],
      [8, '<0.153.0>', 'locked', '{:cast, {:button, 7}}', '{:open, %{code: 7}}'],
    ]);
    expect(rows(e, `SELECT seq, path, change, before, after FROM state_changes ORDER BY seq, path`)).toEqual([
      [5, '[:n]', 'changed', '5', '6'],
      [8, '[0]', 'changed', ':locked', ':open'],
    ]);
    // the cache handled nothing while recorded: its state is still known, at any instant
    expect(rows(e, `SELECT pid, callback, state FROM state_at(${at(3)}) ORDER BY pid`)).toEqual([
      ['<0.151.0>', 'get_state', '%{n: 5}'],
      ['<0.152.0>', 'get_state', '%{"a" => 1, "b" => [2, 3]}'],
      ['<0.153.0>', 'get_state', '{:locked, %{code: 7}}'],
    ]);
    expect(rows(e, `SELECT pid, state FROM state_at((SELECT max(ts) FROM events)) ORDER BY pid`)).toEqual([
      ['<0.151.0>', '%{n: 6}'],
      ['<0.152.0>', '%{"a" => 1, "b" => [2, 3]}'],
      ['<0.153.0>', '{:open, %{code: 7}}'],
    ]);
  });
});

describe('line snapshots', () => {
  it('keeps each snapshot as an event with its function, line and bindings, and the module source', async () => {
    const e = await load('line-snapshots.zip');
    expect(rows(e, `SELECT seq, mfa, term FROM events WHERE kind = 'snapshot' AND mfa LIKE '%classify%' ORDER BY seq`)).toEqual([
      [10, ':otpscope_demo_tally.classify/1', '{16, [N: 4]}'],
      [11, ':otpscope_demo_tally.classify/1', '{18, [N: 4]}'],
      [12, ':otpscope_demo_tally.classify/1', '{19, [N: 4, Half: 2]}'],
      [13, ':otpscope_demo_tally.classify/1', '{23, [N: 4, Kind: {:even, 2}]}'],
    ]);
    // the tail-recursive sum: one snapshot per line per round, the accumulator growing
    expect(rows(e, `SELECT term FROM events WHERE kind = 'snapshot' AND mfa = ':otpscope_demo_tally.sum/2' AND term LIKE '{13,%' ORDER BY seq`)).toEqual([
      ['{13, [H: 1, T: [2, 3], Acc: 0, Next: 1]}'],
      ['{13, [H: 2, T: [3], Acc: 1, Next: 3]}'],
      ['{13, [H: 3, T: [], Acc: 3, Next: 6]}'],
    ]);
    expect(rows(e, `SELECT module FROM sources`)).toEqual([[':otpscope_demo_tally']]);
  });
});

describe('source files by the name they were compiled from (format 3)', () => {
  it('keeps the file each module came from beside its entry, and the Source view names it', async () => {
    const e = await load('source-paths.zip');
    expect(rows(e, `SELECT path, file, module FROM sources ORDER BY module`)).toEqual([
      ['Elixir.OtpscopeDemo.WorkerA.ex', 'test/support/demo/worker_a.ex', 'OtpscopeDemo.WorkerA'],
      ['Elixir.OtpscopeDemo.WorkerB.ex', 'test/support/demo/worker_b.ex', 'OtpscopeDemo.WorkerB'],
    ]);
    const [[seq]] = rows(e, `SELECT seq FROM events WHERE kind = 'call' AND mfa = 'OtpscopeDemo.WorkerA.handle_info/2' ORDER BY seq LIMIT 1`);
    const view = await sourceOfEvent((sql) => e.query(sql, 10_000), Number(seq));
    expect(view?.reason === null && view.file).toMatchObject({ path: 'Elixir.OtpscopeDemo.WorkerA.ex', file: 'test/support/demo/worker_a.ex' });
  });

  it('an archive from before format 3 has no file: the entry name stands in', async () => {
    const e = await load('line-snapshots.zip');
    expect(rows(e, `SELECT path, file FROM sources`)).toEqual([['otpscope_demo_tally.erl', null]]);
  });
});

describe('GenServer states too big to trace (format 3)', () => {
  it('takes the states read at start and at intervals as states, beside the traced callbacks of the one that grew', async () => {
    const e = await load('huge-states.zip');
    // <0.141.0> held 800 KB from the start: its calls were never traced; <0.142.0> grew to it on {:grow, 50000}
    // (the list cut to the term limits: its length and first elements are kept)
    expect(
      rows(e, `SELECT pid, callback, origin, regexp_extract(state, 'n: (\\d+)}$', 1) AS n, contains(state, '$truncated') AS cut FROM states ORDER BY seq`),
    ).toEqual([
      ['<0.141.0>', 'get_state', 'read_at_start', '0', true],
      ['<0.142.0>', 'get_state', 'read_at_start', '0', false],
      ['<0.142.0>', 'handle_call', 'message', '1', false],
      ['<0.142.0>', 'handle_call', 'message', '1', true],
      ['<0.142.0>', 'get_state', 'sampled', '1', true],
      ['<0.141.0>', 'get_state', 'sampled', '3', true],
      ['<0.142.0>', 'get_state', 'sampled', '2', true],
    ]);
    expect(rows(e, `SELECT pid, count(*)::INTEGER FROM events WHERE kind IN ('call', 'return') GROUP BY pid ORDER BY pid`)).toEqual([['<0.142.0>', 4]]);
    // every call of both was answered, traced or not
    expect(rows(e, `SELECT callee_pid, count(*)::INTEGER FROM calls WHERE outcome = 'reply' GROUP BY ALL ORDER BY 1`)).toEqual([
      ['<0.141.0>', 3],
      ['<0.142.0>', 3],
    ]);
  });
});

describe('structs of the recorded node (format 4)', () => {
  // Regression test: a struct of the application's own printed as the map it is (`%{__struct__: Scn.Account, ...}`);
  // inspect on the node prints `%Scn.Account{...}` in field-definition order, which facts/structs.etf now carries.
  it('prints states, messages and arguments holding them as inspect did on the node', async () => {
    const e = await load('structs.zip');
    expect(rows(e, `SELECT callback, message, state FROM states ORDER BY seq`)).toEqual([
      ['init', '%Scn.Owner{name: "ann", id: 7}', '%Scn.Account{owner: %Scn.Owner{name: "ann", id: 7}, balance: 0, history: []}'],
      ['handle_call', '{:deposit, 5}', '%Scn.Account{owner: %Scn.Owner{name: "ann", id: 7}, balance: 5, history: [5]}'],
      ['handle_call', '{:deposit, 2}', '%Scn.Account{owner: %Scn.Owner{name: "ann", id: 7}, balance: 7, history: [2, 5]}'],
    ]);
    expect(rows(e, `SELECT path, change, before, after FROM state_changes ORDER BY seq, path`)).toEqual([
      ['[:balance]', 'changed', '0', '5'],
      ['[:history, 0]', 'added', null, '5'],
      ['[:balance]', 'changed', '5', '7'],
      ['[:history, 0]', 'changed', '5', '2'],
      ['[:history, 1]', 'added', null, '5'],
    ]);
  });
});

describe('two nodes, each recorded, loaded together', () => {
  it('pairs sends to {name, node} with receives on the other node and walks causes across nodes', async () => {
    const e = await load('cross-node-a.zip', 'cross-node-b.zip');
    expect(
      rows(
        e,
        `SELECT send_seq, recv_seq, from_node, to_node, to_pid, status FROM messages WHERE send_seq IS NOT NULL AND recv_seq IS NOT NULL ORDER BY send_seq`,
      ),
    ).toEqual([
      [7, 8, 'scn_a@vm', 'scn_b@vm', '<0.99.0>', 'received'],
      [11, 12, 'scn_b@vm', 'scn_a@vm', '<0.152.0>', 'received'],
      [13, 14, 'scn_a@vm', 'scn_b@vm', '<0.99.0>', 'received'],
      [16, 18, 'scn_b@vm', 'scn_a@vm', '<0.152.0>', 'received'],
      [19, 20, 'scn_a@vm', 'scn_b@vm', '<0.99.0>', 'received'],
      [23, 24, 'scn_b@vm', 'scn_a@vm', '<0.152.0>', 'received'],
    ]);
    expect(rows(e, `SELECT call_seq, caller_node, callee_node, request, reply, outcome FROM calls ORDER BY call_seq`)).toEqual([
      [7, 'scn_a@vm', 'scn_b@vm', '{:echo, "hi"}', '{:echo, "hi"}', 'reply'],
      [19, 'scn_a@vm', 'scn_b@vm', '{:echo, 2}', '{:echo, 2}', 'reply'],
    ]);
    expect(rows(e, `SELECT seq, hop, node FROM causes(24, 3)`)).toEqual([
      [24, 0, 'scn_a@vm'],
      [23, 1, 'scn_b@vm'],
      [20, 1, 'scn_b@vm'],
      [19, 2, 'scn_a@vm'],
      [18, 2, 'scn_a@vm'],
      [16, 3, 'scn_b@vm'],
      [14, 3, 'scn_b@vm'],
    ]);
    expect(rows(e, `SELECT seq FROM effects(7, 2) ORDER BY seq`).flat()).toEqual([7, 8, 9, 10, 11, 12, 13]);
  });
});

describe('a DynamicSupervisor started while recorded', () => {
  it('supervises in tree_at: its module names no :supervisor, nor does its initial call', async () => {
    const e = await load('wide-group.zip');
    const [[pid, module, initial]] = rows(e, `SELECT pid, module, initial_call FROM processes WHERE name = 'Scn.Wide'`);
    expect([module, initial]).toEqual(['DynamicSupervisor', 'DynamicSupervisor.init/1']);
    // at the last call: the workers (and the supervisor) exit with the driver after it
    const end = `(SELECT max(sent_at) FROM calls)`;
    expect(rows(e, `SELECT is_supervisor FROM tree_at(${end}) WHERE pid = '${pid}'`)).toEqual([[true]]);
    // its 100 workers hang under it
    expect(rows(e, `SELECT count(*) FROM tree_at(${end}) WHERE parent_pid = '${pid}' AND module = 'Scn.Quiet'`)).toEqual([[100]]);
  });
});
