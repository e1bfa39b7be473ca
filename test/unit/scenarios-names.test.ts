import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { loadScenario, rows, tsOf } from './scenarios-load';

// test/scenarios/name_resolution.exs: sends to registered names while the names change hands.
// Pids: Scn.Keeper <0.346.0> (registered before the recording) then <0.355.0>; Scn.Flaky <0.357.0>,
// restarted as <0.360.0> and <0.361.0>; :scn_box <0.364.0> then <0.365.0>; the :global and :via
// keepers <0.367.0> and <0.368.0>.
describe('names resolved to the process that held them when the message was sent', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await loadScenario('name-resolution.zip');
  });

  it('keeps one interval per holder: register to unregister or exit, names held at start from the start facts', () => {
    expect(
      rows(
        e,
        `SELECT name, pid, register_seq, unregister_seq, ended_by FROM registrations
         WHERE name IN ('Scn.Keeper', 'Scn.Flaky', ':scn_box') ORDER BY name, register_seq NULLS FIRST`,
      ),
    ).toEqual([
      [':scn_box', '<0.364.0>', 205, 212, 'unregister'],
      [':scn_box', '<0.365.0>', 217, 224, 'unregister'],
      // a dead process's name is freed at its exit; its unregister event (89, 135) comes after
      ['Scn.Flaky', '<0.357.0>', 27, 88, 'exit'],
      ['Scn.Flaky', '<0.360.0>', 94, 134, 'exit'],
      ['Scn.Flaky', '<0.361.0>', 140, null, null],
      // held since before the recording (start facts); its exit was not traced, the next holder's register ends it
      ['Scn.Keeper', '<0.346.0>', null, 8, 'replaced'],
      ['Scn.Keeper', '<0.355.0>', 8, null, null],
    ]);
    expect(rows(e, `SELECT pid FROM name_at(${tsOf(100)}) WHERE name = 'Scn.Flaky'`)).toEqual([['<0.360.0>']]);
    expect(rows(e, `SELECT count(*) FROM name_at(${tsOf(90)}) WHERE name = 'Scn.Flaky'`)).toEqual([[0]]);
  });

  // Regression test: sends to a name went to the first process that ever held it (the restarted worker's
  // casts were "lost when it exited" at the dead pid, and the new pid's receives had "sender not traced").
  it('pairs casts to a restarted worker with the instance that held the name at the send', () => {
    expect(
      rows(
        e,
        `SELECT m.to_pid, m.status, count(*) FROM messages m JOIN events s ON s.seq = m.send_seq
         WHERE s.peer = 'Scn.Flaky' GROUP BY ALL ORDER BY ALL`,
      ),
    ).toEqual([
      ['<0.357.0>', 'received', 8],
      // sent while <0.357.0> still held the name, after it took :boom: lost when it exited
      ['<0.357.0>', 'receiver_exited', 3],
      ['<0.360.0>', 'received', 6],
      ['<0.360.0>', 'receiver_exited', 1],
      ['<0.361.0>', 'received', 8],
    ]);
    // every receive of each instance has its send
    expect(
      rows(
        e,
        `SELECT count(*) FROM messages WHERE to_pid IN ('<0.357.0>', '<0.360.0>', '<0.361.0>') AND status = 'sender_not_traced' AND msg LIKE '{:"$gen_cast"%'`,
      ),
    ).toEqual([[0]]);
    // each instance's handle_cast calls took exactly the :hit casts paired with it (the last states read hits: 7 and 5 at :boom)
    expect(
      rows(
        e,
        `SELECT m.to_pid, count(*) FROM messages m WHERE m.consumed_seq IN (SELECT seq FROM consumed WHERE msg LIKE '{:"$gen_cast", {:hit%') GROUP BY ALL ORDER BY ALL`,
      ),
    ).toEqual([
      ['<0.357.0>', 7],
      ['<0.360.0>', 5],
      ['<0.361.0>', 8],
    ]);
    expect(rows(e, `SELECT kind, pid, seq, evidence_count FROM anomalies ORDER BY anomaly_id`)).toEqual([
      ['unconsumed', '<0.357.0>', 70, 3],
      ['crash', '<0.357.0>', 88, 3],
      ['unconsumed', '<0.360.0>', 124, 1],
      ['crash', '<0.360.0>', 134, 3],
    ]);
    // the second crash's chain reaches the client whose cast the new instance handled last
    expect(rows(e, `SELECT seq, edge, pid FROM causes(134, 1)`)).toEqual([
      [134, null, '<0.360.0>'],
      [127, 'process', '<0.360.0>'],
      [124, 'message', '<0.359.0>'],
      [38, 'process', '<0.359.0>'],
    ]);
  });

  it('resolves a name known only from the start facts, {name, node} sends, and a name nobody holds', () => {
    expect(
      rows(
        e,
        `SELECT m.send_seq, s.peer, m.to_pid, m.recv_seq, m.status FROM messages m JOIN events s ON s.seq = m.send_seq
         WHERE s.peer IN ('Scn.Keeper', ':scn_box') ORDER BY m.send_seq`,
      ),
    ).toEqual([
      [2, 'Scn.Keeper', '<0.346.0>', null, 'receiver_not_traced'],
      [13, 'Scn.Keeper', '<0.355.0>', 17, 'received'],
      [14, 'Scn.Keeper', '<0.355.0>', 18, 'received'],
      [208, ':scn_box', '<0.364.0>', 210, 'received'],
      [209, ':scn_box', '<0.364.0>', 211, 'received'],
      [220, ':scn_box', '<0.365.0>', 222, 'received'],
      [221, ':scn_box', '<0.365.0>', 223, 'received'],
      [228, ':scn_box', null, null, 'unregistered_name'],
    ]);
    // {name, node()} sends name the node: the same resolution
    expect(rows(e, `SELECT seq, peer, peer_node FROM events WHERE seq IN (209, 221) ORDER BY seq`)).toEqual([
      [209, ':scn_box', 'nonode@nohost'],
      [221, ':scn_box', 'nonode@nohost'],
    ]);
  });

  // A slow, obvious reference: replay the events in order with a map of who holds each name.
  it('resolves every named send as a replay of register, unregister and exit events does', () => {
    const holder = new Map<string, string>();
    for (const [node, name, pid] of rows(e, `SELECT node, name, pid FROM facts_raw WHERE snapshot = 'start' AND name IS NOT NULL`))
      holder.set(`${node} ${name}`, String(pid));
    const expected: [number, string | null][] = [];
    for (const [seq, node, pid, kind, peer, peerNode, term] of rows(
      e,
      `SELECT seq, node, pid, kind, peer, peer_node, term FROM events WHERE kind IN ('register', 'unregister', 'exit', 'send') ORDER BY seq`,
    )) {
      if (kind === 'register') {
        holder.set(`${node} ${term}`, String(pid));
      } else if (kind === 'unregister' || kind === 'exit') {
        for (const [k, v] of holder) if (v === pid && k.startsWith(`${node} `) && (kind === 'exit' || k === `${node} ${term}`)) holder.delete(k);
      } else if (!String(peer).startsWith('<') && !String(peer).startsWith('#')) {
        expected.push([Number(seq), holder.get(`${peerNode} ${peer}`) ?? null]);
      }
    }
    expect(expected.length).toBe(35);
    expect(rows(e, `SELECT seq, to_pid FROM send_targets WHERE seq IN (${expected.map(([q]) => q).join(', ')}) ORDER BY seq`)).toEqual(expected);
  });

  it('sees {:global, name} and {:via, module, name} sends as sends to the pid the sender looked up', () => {
    expect(rows(e, `SELECT send_seq, to_pid, status FROM messages WHERE msg = '{:"$gen_cast", :ping}' AND from_pid = '<0.366.0>' ORDER BY send_seq`)).toEqual([
      [246, '<0.367.0>', 'received'],
      [247, '<0.368.0>', 'received'],
    ]);
  });
});
