/**
 * An event chunk's term (docs/FORMAT.md "Event chunks") with its `:terms` table read as byte ranges. The table
 * holds one binary per distinct payload (~11k per chunk of 16k events); decoded as a term, each became a
 * `Uint8Array` view that lived as long as its chunk, so the garbage collector copied a million of them per 1M
 * events from one young generation to the next. Here the table is two integer arrays, and a payload is decoded
 * from its range when asked for (etf/decode.ts `decodeTermIn`). Anything not shaped as the writer writes it (no
 * map, a `:terms` that is not a proper list of binaries, a bad encoding) is left to the generic decoder, whose
 * errors name what is wrong.
 */
import { Decoder } from '../etf/decoder';
import { EtfError } from '../etf/etf-error';
import { Tag, VERSION_MAGIC } from '../etf/tags';
import { atom, type ErlMap, type Term } from '../etf/term';

/** The payload binaries of a chunk: payload \`i\` is \`bytes[start[i]..end[i])\`. */
export interface TermTable {
  bytes: Uint8Array;
  start: Int32Array;
  end: Int32Array;
}

/** What a chunk map's \`:terms\` holds when its table was read as a TermTable: never read as a term. */
export const TERMS_IN_TABLE: Term = [];

const TERMS = atom('terms');

/**
 * The chunk's map with \`:terms\` as TERMS_IN_TABLE and the table beside it; null when the bytes are not a map whose
 * \`:terms\` is a proper list of binaries (decode them as any term then).
 */
export function chunkWithTermTable(raw: Uint8Array): { map: ErlMap; table: TermTable } | null {
  if (raw.length < 6 || raw[0] !== VERSION_MAGIC || raw[1] !== Tag.MAP) return null;
  const n = ((raw[2] << 24) | (raw[3] << 16) | (raw[4] << 8) | raw[5]) >>> 0;
  const d = new Decoder(raw, 6, undefined, 0);
  const entries: [Term, Term][] = [];
  let table: TermTable | null = null;
  try {
    for (let i = 0; i < n; i++) {
      const key = d.term();
      if (key === TERMS && table === null && raw[d.pos] === Tag.LIST) {
        const read = termTable(raw, d.pos);
        if (read === null) return null;
        table = read.table;
        d.pos = read.end;
        entries.push([key, TERMS_IN_TABLE]);
      } else entries.push([key, d.term()]);
    }
  } catch (e) {
    if (e instanceof EtfError) return null;
    throw e;
  }
  return table === null ? null : { map: { t: 'map', entries }, table };
}

/** A LIST_EXT of BINARY_EXT items ending in NIL_EXT at \`at\`, as ranges; null for anything else. */
function termTable(b: Uint8Array, at: number): { table: TermTable; end: number } | null {
  const len = b.length;
  if (at + 5 > len) return null;
  const n = ((b[at + 1] << 24) | (b[at + 2] << 16) | (b[at + 3] << 8) | b[at + 4]) >>> 0;
  // every item takes at least 5 bytes: a count the input cannot hold is the generic decoder's error to report
  if (n > (len - at - 5) / 5) return null;
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  let p = at + 5;
  for (let i = 0; i < n; i++) {
    if (p + 5 > len || b[p] !== Tag.BINARY) return null;
    const size = ((b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]) >>> 0;
    p += 5;
    if (size > len - p) return null;
    start[i] = p;
    p += size;
    end[i] = p;
  }
  if (p >= len || b[p] !== Tag.NIL) return null;
  return { table: { bytes: b, start, end }, end: p + 1 };
}
