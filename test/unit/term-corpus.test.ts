// test/scenarios/term_corpus.exs recorded on Elixir 1.14 / OTP 25 and on Elixir 1.18 / OTP 27: a seeded corpus of
// a few hundred terms (atoms of every shape, floats, escapes, printable limits, structs, identifiers of other nodes,
// nestings cut by inspect's limit) sent to a traced GenServer, every third becoming its state. Each message and
// state must print as the recording node's own inspect/1 printed it (NAME.json beside the archive), whichever way
// the analyses run, but for what docs/SCHEMA.md ("Terms") says the archive cannot tell: `documented` below.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';

const dir = path.resolve(__dirname, '../fixtures/scenarios');

interface Corpus {
  elixir: string;
  otp: string;
  kinds: string[];
  messages: string[];
  states: string[];
}

/**
 * Whether `got` is the node's inspect text `want` as docs/SCHEMA.md says the analyzer prints it (`documented`). On
 * OTP 26 and older, 0.0 and -0.0 are equal to the runtime, and so to the recorder, which stores equal terms of a
 * chunk once: there the sign of a float zero is the one the chunk stored first (the corpus sends -0.0, then 0.0).
 */
function same(got: unknown, want: string, otp: number): boolean {
  if (got === documented(want)) return true;
  const unsigned = (s: string) => s.replace(/-0\.0(?![0-9e])/g, '0.0');
  return otp < 27 && typeof got === 'string' && unsigned(got) === unsigned(documented(want));
}

/**
 * The node's inspect text as docs/SCHEMA.md says the analyzer prints it: a pid, port or reference of another node
 * with node number 0 (the recording node's table of connections is not in the archive), and an anonymous fun
 * without the function it was made in (`#Function<0.123/1 in Mod>`: the name is in the loaded module, not the term).
 */
function documented(text: string): string {
  return text.replace(/#(PID|Port|Reference)<\d+\./g, '#$1<0.').replace(/(#Function<\d+\.\d+\/\d+ in (?::[a-z_]\w*|[A-Z]\w*(?:\.[A-Z]\w*)*))\.[^>]+>/g, '$1>');
}

describe.each(['1.14', '1.18'])('the term corpus of an Elixir %s archive prints as its node printed it', (version) => {
  const name = `term-corpus-${version}.zip`;
  const corpus = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Corpus;

  test.each(['sql', 'stream'] as const)(
    'analyses: %s',
    async (analyses) => {
      expect(corpus.elixir.startsWith(version)).toBe(true);
      const e = await Engine.create(await openNodeDuckDb(), { analyses });
      const report = await e.load([{ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) }]);
      expect(report.errors).toEqual([]);
      const srv = e.query(`SELECT DISTINCT pid FROM states WHERE callback = 'handle_info'`).rows.map((r) => r[0]);
      expect(srv).toHaveLength(1);
      const n = corpus.messages.length;
      const messages = e.query(`SELECT msg FROM messages WHERE to_pid = '${String(srv[0])}' ORDER BY recv_seq LIMIT ${n}`).rows.map((r) => r[0]);
      const states = e.query(`SELECT state FROM states WHERE pid = '${String(srv[0])}' AND callback = 'handle_info' ORDER BY seq`).rows.map((r) => r[0]);
      const wrong = (got: unknown[], want: string[], what: string) =>
        want.flatMap((w, i) => (same(got[i], w, Number(corpus.otp)) ? [] : [{ what, i, kind: corpus.kinds[i], want: documented(w), got: got[i] }]));
      const mismatches = [...wrong(messages, corpus.messages, 'msg'), ...wrong(states, corpus.states, 'state')];
      if (process.env.CORPUS_DUMP) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(`${process.env.CORPUS_DUMP}/${version}-${analyses}.json`, JSON.stringify(mismatches, null, 1));
      }
      expect(messages).toHaveLength(n);
      expect(states).toHaveLength(n);
      expect(mismatches).toEqual([]);
    },
    120_000,
  );
});
