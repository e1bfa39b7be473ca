import { describe, expect, it } from 'vitest';
import { loadFixtures as load, readFixture as read, readFixtureFolder as readFolder } from '../support/raw-fixtures';

const CLOCKS = 'times of different clocks cannot be compared: ';

// test/fixtures/raw/raw_clocks.erl: two nodes traced with monotonic_timestamp, each to its own dbg file, a process of
// each trading messages with the other's. The peer node started about a second after this one: its monotonic clock
// stands about a second behind.
describe('raw traces on clocks of their own', () => {
  // Regression test: two nodes' monotonic traces loaded together were merged on one timeline as if their clocks were
  // one, every reply read as received before it was sent, and the load said nothing.
  it.each(['raw', 'otp27/raw'])("say that two nodes' monotonic clocks cannot be compared (%s)", async (dir) => {
    const [a, b] = [`${dir}/clocks-a.trace`, `${dir}/clocks-b.trace`];
    const { engine, report } = await load([read(a), read(b)]);
    // what the files are: each node's times stand on its own clock, the peer's far behind
    expect(engine.query(`SELECT count(*)::INTEGER FROM messages WHERE received_at < sent_at`).rows).toEqual([[4]]);
    expect(report.warnings.filter((w) => w.startsWith(CLOCKS))).toEqual([
      `${CLOCKS}${a} (raw_clocks_a@vm: its own monotonic or CPU clock), ${b} (raw_clocks_b@vm: its own monotonic or CPU clock). ` +
        "A node's monotonic clock (monotonic_timestamp, strict_monotonic_timestamp) starts where its runtime chose, " +
        'cpu_timestamp counts CPU time, and a trace without a timestamp flag has no times: these files are not in their ' +
        'true order across one another, and a message between them can read as received before it was sent. Trace every ' +
        'node with the timestamp flag to load them together.',
    ]);
  });

  it('say so of a monotonic or untimed trace beside a wall-clock one', async () => {
    const { report } = await load([read('raw/clocks-a.trace'), read('raw/untimed.trace'), read('raw/flags-ts.trace')]);
    expect(report.warnings.filter((w) => w.startsWith(CLOCKS)).map((w) => w.slice(0, w.indexOf('. ')))).toEqual([
      `${CLOCKS}raw/clocks-a.trace (raw_clocks_a@vm: its own monotonic or CPU clock), raw/untimed.trace (nonode@nohost: no ` +
        'timestamps), raw/flags-ts.trace (nonode@nohost: wall clock)',
    ]);
  });

  it('say nothing of files on one clock', async () => {
    for (const files of [
      ['raw/clocks-a.trace'],
      ['raw/flags-ts.trace', 'raw/names-before.trace'],
      // two trace sessions of one node: one monotonic clock
      ['otp27/raw/overlap-a-mono.trace', 'otp27/raw/overlap-b-mono.trace'],
      ['raw/ttb-peer'],
    ]) {
      const inputs = files.flatMap((f) => (f.startsWith('raw/ttb') ? readFolder(f) : [read(f)]));
      const { report } = await load(inputs);
      expect(report.warnings.filter((w) => w.startsWith(CLOCKS))).toEqual([]);
    }
  });
});
