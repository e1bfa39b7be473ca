import { describe, expect, it } from 'vitest';
import { asConnection } from '../../src/engine/duckdb/connection';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { signalSenders } from '../../src/engine/sql/build';

// signalSenders on a `messages` table as both analyses leave it: a process on a@h receives `{:EXIT, pid, :noconnection}`
// and `{:DOWN, ref, :process, pid, :noconnection}` for <0.90.0>, a process of another node whose connection was lost.
// Three nodes hold a process of that pid: b@h (the one the link and the monitor were to), a@h itself, and a@h#2, a later
// run of the receiver's own node name (loaded with it, a day of recordings), which is no other node: the connection to
// it was never lost (and the same of a@h for a receiver on a@h#2). Regression test: any node other than the receiver's qualified, and a@h#2 sorts first.
describe("a :noconnection signal's sender is never a run of the receiver's own node name", () => {
  it('picks the process of that pid on another node name', async () => {
    const db = asConnection(await openNodeDuckDb());
    db.query(`CREATE TABLE processes AS SELECT * FROM (VALUES
      ('a@h', '<0.80.0>', NULL::VARCHAR, NULL::BIGINT),
      ('a@h', '<0.90.0>', NULL, NULL),
      ('a@h#2', '<0.90.0>', NULL, 500),
      ('b@h', '<0.90.0>', NULL, NULL)
    ) t(node, pid, parent_pid, exited_at)`);
    db.query(`CREATE TABLE messages AS SELECT * FROM (VALUES
      (1, 'a@h', '<0.80.0>', 100, '{:EXIT, #PID<0.90.0>, :noconnection}', 'signal', NULL::VARCHAR, NULL::VARCHAR),
      (2, 'a@h', '<0.80.0>', 110, '{:DOWN, #Reference<0.1.2.3>, :process, #PID<0.90.0>, :noconnection}', 'signal', NULL, NULL),
      (3, 'a@h#2', '<0.80.0>', 900, '{:DOWN, #Reference<0.1.2.4>, :process, #PID<0.90.0>, :noconnection}', 'signal', NULL, NULL)
    ) t(recv_seq, to_node, to_pid, received_at, msg, status, from_pid, from_node)`);
    db.query(signalSenders());
    const rows = db.query('SELECT recv_seq, from_node, from_pid FROM messages ORDER BY recv_seq').rows;
    expect(rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)))).toEqual([
      [1, 'b@h', '<0.90.0>'],
      [2, 'b@h', '<0.90.0>'],
      // from a later run, the first run of its name is no other node either
      [3, 'b@h', '<0.90.0>'],
    ]);
  });
});
