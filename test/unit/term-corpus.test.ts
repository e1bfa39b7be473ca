// test/scenarios/term_corpus.exs recorded on Elixir 1.14 / OTP 25 and on Elixir 1.18 / OTP 27: a seeded corpus of
// a few hundred terms (atoms of every shape, floats, escapes, printable limits, structs, identifiers of other nodes,
// nestings cut by inspect's limit) sent to a traced GenServer, every third becoming its state. Each message and
// state must print as the recording node's own inspect/1 printed it (NAME.json beside the archive), whichever way
// the analyses run, but for what docs/SCHEMA.md ("Terms") says the archive cannot tell: `documented` below. The
// same corpus, but for structs beyond the standard library's common ones and terms over 700 bytes, sent on an OTP 27
// node that traced it with dbg into a trace-port file (RAW=1), must print as Elixir 1.18's inspect/1, the rule for
// raw traces.
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
 * Whether `got` is the node's inspect text `want` as docs/SCHEMA.md says the analyzer prints it (`documented`). The
 * corpus sends -0.0, then 0.0: each keeps its sign on OTP 26 and older too (format 6; the recorder's table of a
 * chunk's terms held them as one, the runtime counting them equal there).
 */
function same(got: unknown, want: string): boolean {
  return got === documented(want);
}

/**
 * The node's inspect text as docs/SCHEMA.md says the analyzer prints it: a pid, port or reference of another node
 * with node number 0 (the recording node's table of connections is not in the archive), and an anonymous fun
 * without the function it was made in (`#Function<0.123/1 in Mod>`: the name is in the loaded module, not the term).
 */
function documented(text: string): string {
  return text.replace(/#(PID|Port|Reference)<\d+\./g, '#$1<0.').replace(/(#Function<\d+\.\d+\/\d+ in (?::[a-z_]\w*|[A-Z]\w*(?:\.[A-Z]\w*)*))\.[^>]+>/g, '$1>');
}

/** The texts of the corpus server's messages and of its states after each, as the analyses print them. */
async function corpusTexts(file: string, analyses: 'sql' | 'stream', n: number) {
  const e = await Engine.create(await openNodeDuckDb(), { analyses });
  const report = await e.load([{ name: path.basename(file), bytes: new Uint8Array(readFileSync(file)) }]);
  expect(report.errors).toEqual([]);
  const srv = e.query(`SELECT DISTINCT pid FROM states WHERE callback = 'handle_info'`).rows.map((r) => String(r[0]));
  expect(srv).toHaveLength(1);
  const messages = e.query(`SELECT msg FROM messages WHERE to_pid = '${srv[0]}' ORDER BY recv_seq LIMIT ${n}`).rows.map((r) => r[0]);
  const states = e.query(`SELECT state FROM states WHERE pid = '${srv[0]}' AND callback = 'handle_info' ORDER BY seq`).rows.map((r) => r[0]);
  return { messages, states };
}

function mismatches(corpus: Corpus, got: { messages: unknown[]; states: unknown[] }) {
  const wrong = (texts: unknown[], want: string[], what: string) =>
    want.flatMap((w, i) => (same(texts[i], w) ? [] : [{ what, i, kind: corpus.kinds[i], want: documented(w), got: texts[i] }]));
  return [...wrong(got.messages, corpus.messages, 'msg'), ...wrong(got.states, corpus.states, 'state')];
}

const cases = [
  { what: 'an Elixir 1.14 archive', file: path.join(dir, 'term-corpus-1.14.zip'), elixir: '1.14' },
  { what: 'an Elixir 1.18 archive', file: path.join(dir, 'term-corpus-1.18.zip'), elixir: '1.18' },
  { what: 'a raw dbg trace of OTP 27', file: path.resolve(__dirname, '../fixtures/otp27/raw/term-corpus.trace'), elixir: '1.18' },
];

describe.each(cases)('the term corpus of $what prints as its node printed it', ({ file, elixir }) => {
  const corpus = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as Corpus;

  test.each(['sql', 'stream'] as const)(
    'analyses: %s',
    async (analyses) => {
      expect(corpus.elixir.startsWith(elixir)).toBe(true);
      const got = await corpusTexts(file, analyses, corpus.messages.length);
      expect(got.messages).toHaveLength(corpus.messages.length);
      expect(got.states).toHaveLength(corpus.states.length);
      expect(mismatches(corpus, got)).toEqual([]);
    },
    120_000,
  );
});
