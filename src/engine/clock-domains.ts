import { YEAR_2000_NS } from './clock';
import type { EngineConnection } from './duckdb/connection';

/**
 * Loaded files whose times cannot be put on one timeline. An archive's and a raw trace's `timestamp` times are wall
 * clock, which every node shares. A raw trace made with `monotonic_timestamp` or `strict_monotonic_timestamp` holds
 * its node's monotonic time, whose origin each runtime picks for itself when it starts (two nodes started a second
 * apart are a second apart in it), `cpu_timestamp`'s is a scheduler's CPU time, and a trace without a timestamp flag
 * has none. Nothing in such a file ties its times to another node's or to the wall clock, so beside files of another
 * node, or of the wall clock, its events stand at times of their own: out of order across the files, and a message
 * between them can read as received before it was sent. The load says so (one warning), naming each file's clock.
 *
 * A file's clock is its traced node's (a `dbg` file's events of another node, a spawn or link traced from the far
 * side, carry the same clock); a ttb folder's logs are one per node, each with its node's clock. Files of one node on
 * its own clock (two trace sessions of one node) share it.
 */
export function clockWarnings(db: EngineConnection, files: ReadonlyMap<number, { name: string; node: string | null }>): string[] {
  if (files.size < 2 && ![...files.values()].some((f) => f.node === null)) return [];
  const rows = db.query(`
SELECT src, node, min(ts) AS t0, max(ts) AS t1 FROM events_raw WHERE pid IS NOT NULL AND kind NOT IN ('drop', 'state')
GROUP BY ALL ORDER BY src, node`).rows;
  const clocks: { file: string; node: string; own: 'monotonic' | 'none' | null }[] = [];
  for (const [src, node, t0, t1] of rows) {
    const file = files.get(Number(src));
    if (file === undefined || (file.node !== null && file.node !== node)) continue;
    const [from, to] = [BigInt(t0 as bigint), BigInt(t1 as bigint)];
    clocks.push({ file: file.name, node: String(node), own: from >= YEAR_2000_NS ? null : from === 0n && to === 0n ? 'none' : 'monotonic' });
  }
  const domains = new Set(clocks.map((c) => (c.own === null ? 'wall' : `${c.own} ${c.node}`)));
  if (domains.size < 2 || clocks.every((c) => c.own === null)) return [];
  const said = clocks.map(
    (c) => `${c.file} (${c.node}: ${c.own === null ? 'wall clock' : c.own === 'none' ? 'no timestamps' : 'its own monotonic or CPU clock'})`,
  );
  return [
    `times of different clocks cannot be compared: ${[...new Set(said)].join(', ')}. A node's monotonic clock ` +
      '(monotonic_timestamp, strict_monotonic_timestamp) starts where its runtime chose, cpu_timestamp counts CPU time, and ' +
      'a trace without a timestamp flag has no times: these files are not in their true order across one another, and a ' +
      'message between them can read as received before it was sent. Trace every node with the timestamp flag to load ' +
      'them together.',
  ];
}
