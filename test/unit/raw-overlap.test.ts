import { describe, expect, it } from 'vitest';
import { loadFixtures as load, readFixture as read } from '../support/raw-fixtures';

// test/fixtures/raw/raw_overlap.erl, as OTP 27 writes it (otp27/raw): two trace sessions of one node
// (trace:session_create/3), each with dbg's file trace port, both tracing one process's sends and receives; once per
// timestamp flag (timestamp, monotonic_timestamp, strict_monotonic_timestamp).
describe('two trace sessions of one node loaded together', () => {
  for (const flag of ['ts', 'mono', 'strict']) {
    const a = `otp27/raw/overlap-a-${flag}.trace`;
    const b = `otp27/raw/overlap-b-${flag}.trace`;

    // Regression test: loaded together they repeated every event both sessions traced (each send and receive of the
    // process twice: doubled messages, a false `unconsumed`), and the load said nothing.
    it(`say they overlap, with the process both traced (${flag})`, async () => {
      const { engine, report } = await load([read(a), read(b)]);
      expect(report.warnings.filter((w) => w.includes(' overlap: '))).toEqual([
        `${a} and ${b} overlap: both traced receive, send of 1 process of nonode@nohost at the same time (` +
          `${engine.query(`SELECT DISTINCT pid FROM events WHERE src = 1`).rows[0][0]}; up to 8 events in each), as two trace sessions of ` +
          'one node or two recordings made at once do. Each event both traced is loaded twice (each copy has its own timestamp, so ' +
          'they cannot be told apart): those messages, calls and anomalies count twice. Load one of them, or trace each process ' +
          'in one session only.',
      ]);
      // why they are kept: every event of the second session is one of the first's, stamped at another time
      expect(
        engine.query(
          `SELECT count(*)::INTEGER, count(*) FILTER (WHERE same_ts)::INTEGER FROM (
             SELECT b.seq, bool_or(a.ts = b.ts) AS same_ts FROM events b
             JOIN events a ON a.src = 0 AND a.pid = b.pid AND a.kind = b.kind AND a.term = b.term
             WHERE b.src = 1 GROUP BY b.seq)`,
        ).rows,
      ).toEqual([[8, 0]]);
    });

    it(`alone, or beside a trace of other processes, overlap nothing (${flag})`, async () => {
      for (const files of [[a], [b], [b, 'otp27/raw/names-before.trace']]) {
        const { report } = await load(files.map(read));
        expect(report.warnings.filter((w) => w.includes(' overlap: '))).toEqual([]);
      }
    });
  }
});
