import { decodeTerm, decodeTermIn, EtfError } from '../etf/decode';
import { atom, isAtom, isPid, isTuple, type Atom, type ErlMap, type Term } from '../etf/term';
import { EVENT_KINDS, eventsOf, TraceReadError, type EventColumns, type Mfa, type ProcessFact, type TraceBatch, type TraceEvent } from '../trace-event';
import { DEFAULT_READ_LIMITS, type ReadLimits } from '../read-limits';
import { readZip, type ZipEntry } from '../zip';
import { chunkWithTermTable, TERMS_IN_TABLE, type TermTable } from './chunk-term';
import { hashBytes, hashRange } from './hash';
import { checkManifest, checkTotals, type Manifest, type Totals } from './manifest';
import { structFieldsOf } from './struct-facts';
import { unzigzag, VarintReader } from './varint';

export { SUPPORTED_FORMAT_VERSIONS, type Manifest, type Totals } from './manifest';

export interface SourceFile {
  /** The entry's name under `sources/` (`Elixir.MyApp.Worker.ex`). */
  path: string;
  /** The file the module was compiled from (`lib/my_app/worker.ex`), from `facts/sources-*.etf` (format 3); null before. */
  file: string | null;
  text: string;
}

/** Everything an archive holds; events come chunk by chunk from `batches()`. */
export interface OtpscopeArchive {
  fileName: string;
  manifest: Manifest;
  totals: Totals | undefined;
  processes: ProcessFact[];
  /** Supervision trees as recorded (`facts/tree-*.etf`), decoded terms. */
  trees: { start?: Term; stop?: Term };
  sources: SourceFile[];
  /** Struct modules → their fields in definition order (`facts/structs.etf`, format 4; empty before). */
  structs: Map<string, string[]>;
  /** The archive had no central directory (its writer died) and was read by scanning. */
  recovered: boolean;
  warnings: string[];
  chunkCount: number;
  /** Events as columns per chunk (drops as objects); `objects: true`: one TraceEvent per event (the earlier way, for comparison). */
  batches(options?: { objects?: boolean }): AsyncGenerator<TraceBatch>;
}

const decoder = new TextDecoder();

/** True when the bytes start like a zip file. */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/** An archive's manifest alone, without its facts or events (formats.ts sourceRun). */
export async function readArchiveManifest(bytes: Uint8Array, fileName: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<Manifest> {
  const entry = readZip(bytes, fileName, limits).entries.find((e) => e.name === 'manifest.json');
  if (entry === undefined) throw new TraceReadError(fileName, 0, 'zip archive has no manifest.json: not an otpscope archive');
  return checkManifest(parseJson(await entry.data(), fileName, entry), fileName, entry);
}

/** Reads an archive's facts now and its event chunks when `batches()` is iterated; `limits` bound what its entries may inflate to. */
export async function readOtpscopeArchive(bytes: Uint8Array, fileName: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<OtpscopeArchive> {
  const zip = readZip(bytes, fileName, limits);
  const byName = new Map(zip.entries.map((e) => [e.name, e]));
  const manifestEntry = byName.get('manifest.json');
  if (manifestEntry === undefined) throw new TraceReadError(fileName, 0, 'zip archive has no manifest.json: not an otpscope archive');
  const manifest = checkManifest(parseJson(await manifestEntry.data(), fileName, manifestEntry), fileName, manifestEntry);
  const node = manifest.node;
  const offset = BigInt(manifest.clock?.time_offset_ns ?? '0');
  const warnings = [...zip.warnings];

  const totalsEntry = byName.get('totals.json');
  const totals = totalsEntry ? checkTotals(parseJson(await totalsEntry.data(), fileName, totalsEntry), fileName, warnings) : undefined;
  if (totalsEntry === undefined)
    warnings.push(`${fileName}: no totals.json: the recording did not stop cleanly; events up to the last complete chunk are read`);

  const processes: ProcessFact[] = [];
  for (const which of ['start', 'stop'] as const) {
    const e = byName.get(`facts/processes-${which}.etf`);
    if (e) processes.push(...processFacts(await decodeEntry(e, fileName), node, which));
  }
  const trees: OtpscopeArchive['trees'] = {};
  for (const which of ['start', 'stop'] as const) {
    const e = byName.get(`facts/tree-${which}.etf`);
    if (e) trees[which] = await decodeEntry(e, fileName);
  }
  const files = new Map<string, string>();
  for (const which of ['start', 'stop'] as const) {
    const e = byName.get(`facts/sources-${which}.etf`);
    if (e) for (const [entry, file] of sourceFiles(await decodeEntry(e, fileName), fileName, e, warnings)) files.set(entry, file);
  }
  const structsEntry = byName.get('facts/structs.etf');
  const structs = structsEntry ? structFieldsOf(await decodeEntry(structsEntry, fileName), fileName, structsEntry, warnings) : new Map<string, string[]>();
  const sources: SourceFile[] = [];
  for (const e of zip.entries)
    if (e.name.startsWith('sources/'))
      sources.push({ path: e.name.slice('sources/'.length), file: files.get(e.name) ?? null, text: decoder.decode(await e.data()) });

  const chunks = zip.entries.filter((e) => /^events\/\d+\.etf$/.test(e.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  let uFirst: bigint | undefined;
  async function* batches(options: { objects?: boolean } = {}): AsyncGenerator<TraceBatch> {
    let bytesRead = 0;
    for (const entry of chunks) {
      const raw = await entry.data();
      // The payload table as byte ranges when the chunk is as the writer writes it (chunk-term.ts), else decoded whole.
      const fast = chunkWithTermTable(raw);
      const m = fast?.map ?? asMap(await decodeEntryBytes(raw, entry, fileName), fileName, entry, 'chunk');
      if (uFirst === undefined) uFirst = integerField(m, 'u0', fileName, entry);
      const ctx = { fileName, entry, node, offset, uFirst, table: fast?.table };
      bytesRead += entry.compressedSize;
      if (options.objects) yield { events: decodeChunk(m, ctx), bytesRead };
      else {
        const { columns, drops } = decodeChunkColumns(m, ctx);
        yield { events: drops, columns, bytesRead };
      }
    }
  }
  return { fileName, manifest, totals, processes, trees, sources, structs, recovered: zip.recovered, warnings, chunkCount: chunks.length, batches };
}

interface ChunkContext {
  fileName: string;
  entry: ZipEntry;
  node: string;
  offset: bigint;
  uFirst: bigint;
  /** The chunk's \`:terms\` read as byte ranges (chunk-term.ts); the map's \`:terms\` is then TERMS_IN_TABLE. */
  table?: TermTable;
}

const KIND_COUNT = EVENT_KINDS.length;

/** Chunk layout versions (the chunk's `:v`) this reader understands. */
const CHUNK_LAYOUTS = [1, 2];

/**
 * Decodes one chunk's columns into events (docs/FORMAT.md "Event chunks"), as objects: the chunk's
 * columns (decodeChunkColumns) with one TraceEvent per event, drops last.
 */
export function decodeChunk(m: ErlMap, ctx: ChunkContext): TraceEvent[] {
  const { columns, drops } = decodeChunkColumns(m, ctx);
  return eventsOf({ columns, events: drops, bytesRead: 0 });
}

/**
 * Decodes one chunk's columns (docs/FORMAT.md "Event chunks") into typed
 * columns over the chunk's tables, and its drop records into drop events.
 * Layout 2 stores `:peer` as a delta against the previous peer of the same
 * (kind, pid) and `:term` against the previous term of the same kind.
 */
export function decodeChunkColumns(m: ErlMap, ctx: ChunkContext): { columns: EventColumns; drops: TraceEvent[] } {
  const { fileName, entry, node, offset } = ctx;
  const get = (k: string) => field(m, k, fileName, entry);
  const int = (k: string) => integerField(m, k, fileName, entry);
  const v = Number(int('v'));
  if (!CHUNK_LAYOUTS.includes(v)) throw new TraceReadError(fileName, entry.offset, `${entry.name}: chunk layout :v ${v} is not supported`);
  const deltas = v >= 2;
  const nField = int('n');
  if (nField < 0n || nField > BigInt(entry.size))
    throw new TraceReadError(fileName, entry.offset, `${entry.name}: :n is ${nField}, expected an event count (0 to the chunk's size)`);
  const n = Number(nField);
  const t0 = int('t0');
  const u0 = int('u0');
  const col = (k: string): Uint8Array => {
    const v = get(k);
    if (!(v instanceof Uint8Array)) throw new TraceReadError(fileName, entry.offset, `${entry.name}: column :${k} is not a binary`);
    return v;
  };
  const list = (k: string): Term[] => {
    const v = get(k);
    if (!Array.isArray(v)) throw new TraceReadError(fileName, entry.offset, `${entry.name}: table :${k} is not a list`);
    return v;
  };
  const kinds = col('kind');
  if (kinds.length !== n) throw new TraceReadError(fileName, entry.offset, `${entry.name}: column :kind has ${kinds.length} bytes, expected n = ${n}`);
  const dt = new VarintReader(col('dt'), 'dt');
  const du = new VarintReader(col('du'), 'du');
  const pidCol = new VarintReader(col('pid'), 'pid');
  const peerCol = new VarintReader(col('peer'), 'peer');
  const mfaCol = new VarintReader(col('mfa'), 'mfa');
  const termCol = new VarintReader(col('term'), 'term');
  const pids = list('pids');
  const mfas = list('mfas').map((x) => asMfa(x, fileName, entry));
  const { terms, termIds, termAt } = ctx.table !== undefined && get('terms') === TERMS_IN_TABLE ? tableTerms(ctx.table, ctx) : listTerms(list('terms'), ctx);

  // Layout 2: last peer index per (pid index, kind) and last term index per kind.
  const lastPeer = deltas ? new Map<number, number>() : undefined;
  const lastTerm = deltas ? new Float64Array(KIND_COUNT) : undefined;
  const c: EventColumns = {
    node,
    n,
    kind: kinds,
    // ns since t0 as a plain number (exact for 104 days): no BigInt per event
    tsBase: t0 + offset,
    tsRel: new Float64Array(n),
    order: new Float64Array(n),
    pid: new Int32Array(n),
    peer: new Int32Array(n),
    mfa: new Int32Array(n),
    term: new Int32Array(n),
    pids,
    mfas,
    termCount: terms.length,
    termAt,
    termIds,
  };
  let rel = 0;
  let u = Number(u0 - ctx.uFirst);
  try {
    for (let i = 0; i < n; i++) {
      rel += dt.int();
      u += du.int();
      const code = kinds[i];
      if (code >= KIND_COUNT) throw new RangeError(`unknown kind code ${code} at event ${i}`);
      const pidIx = pidCol.uint();
      let peerIx = peerCol.uint();
      const mfaIx = mfaCol.uint();
      let termIx = termCol.uint();
      if (lastPeer !== undefined && lastTerm !== undefined) {
        // 0 stays "none"; else 1 + zigzag(index - last), back to 1 + index
        if (peerIx !== 0) {
          const key = pidIx * 32 + code;
          const ix = (lastPeer.get(key) ?? 0) + unzigzag(peerIx - 1);
          lastPeer.set(key, ix);
          peerIx = ix + 1;
        }
        if (termIx !== 0) {
          const ix = lastTerm[code] + unzigzag(termIx - 1);
          lastTerm[code] = ix;
          termIx = ix + 1;
        }
      }
      if (!(pidIx < pids.length)) throw new RangeError(`pid index out of range at event ${i}`);
      c.tsRel[i] = rel;
      c.order[i] = u;
      c.pid[i] = pidIx;
      c.peer[i] = peerIx === 0 ? -1 : inRange(pids, peerIx - 1, 'peer', i);
      c.mfa[i] = mfaIx === 0 ? -1 : inRange(mfas, mfaIx - 1, 'mfa', i);
      c.term[i] = termIx === 0 ? -1 : inRange(terms, termIx - 1, 'term', i);
    }
  } catch (e) {
    if (e instanceof RangeError) throw new TraceReadError(fileName, entry.offset, `${entry.name}: ${e.message}`);
    throw e;
  }
  const drops = mapGet(m, 'drops');
  if (drops !== undefined && !Array.isArray(drops)) throw new TraceReadError(fileName, entry.offset, `${entry.name}: :drops is not a list`);
  const dropEvents: TraceEvent[] = [];
  for (const [i, d] of (drops ?? []).entries()) {
    const [from, to, count, reason] = isTuple(d, 4) ? d.items : [];
    if (!isInteger(from) || !isInteger(to) || !isInteger(count) || count < 0 || reason === undefined || !isAtom(reason))
      throw new TraceReadError(
        fileName,
        entry.offset,
        `${entry.name}: :drops entry ${i} is not {from_mono_ns, to_mono_ns, count, reason} with integers and an atom`,
      );
    dropEvents.push({
      node,
      ts: BigInt(from) + offset,
      until: BigInt(to) + offset,
      kind: 'drop',
      pid: atom(node),
      term: { t: 'tuple', items: [count, reason] },
      order: u,
    });
  }
  return { columns: c, drops: dropEvents };
}

/** A chunk's payload table: one slot per payload (its length is the count), each one's id, and its term on demand. */
interface PayloadTerms {
  terms: ArrayLike<unknown>;
  termIds: number[];
  termAt: (i: number) => Term;
}

/**
 * A chunk's payloads from its table read as byte ranges: each one's id hashed from its bytes and its term decoded
 * when asked for (see EventColumns.termAt); a bad one fails the chunk as it did decoded with the chunk.
 */
function tableTerms(table: TermTable, ctx: ChunkContext): PayloadTerms {
  const { bytes, start, end } = table;
  const termIds: number[] = new Array(start.length);
  for (let i = 0; i < start.length; i++) termIds[i] = hashRange(bytes, start[i], end[i]);
  const termAt = (i: number): Term => decodeNested(bytes, ctx.fileName, ctx.entry, `terms[${i}]`, start[i], end[i]);
  return { terms: start, termIds, termAt };
}

/** The same from a \`:terms\` list decoded as a term (a chunk not shaped as the writer writes it). */
function listTerms(terms: Term[], ctx: ChunkContext): PayloadTerms {
  const { fileName, entry } = ctx;
  const termIds: number[] = new Array(terms.length);
  for (let i = 0; i < terms.length; i++) {
    const b = terms[i];
    if (!(b instanceof Uint8Array)) throw new TraceReadError(fileName, entry.offset, `${entry.name}: terms[${i}] is not a binary`);
    termIds[i] = hashBytes(b);
  }
  const termAt = (i: number): Term => decodeNested(terms[i] as Uint8Array, fileName, entry, `terms[${i}]`);
  return { terms, termIds, termAt };
}

/** `i` when it indexes `table`, else the RangeError that names the table, the index and the event. */
function inRange(table: ArrayLike<unknown>, i: number, what: string, ev: number): number {
  if (i < table.length && table[i] !== undefined) return i;
  throw new RangeError(`${what} index ${i + 1} out of range (table has ${table.length}) at event ${ev}`);
}

function asMfa(x: Term, fileName: string, entry: ZipEntry): Mfa {
  if (isTuple(x, 3) && isAtom(x.items[0]) && isAtom(x.items[1]) && typeof x.items[2] === 'number') return [x.items[0], x.items[1], x.items[2]];
  throw new TraceReadError(fileName, entry.offset, `${entry.name}: an :mfas entry is not {module, function, arity}`);
}

function processFacts(t: Term, node: string, snapshot: 'start' | 'stop'): ProcessFact[] {
  if (!Array.isArray(t)) return [];
  const out: ProcessFact[] = [];
  for (const p of t) {
    if (typeof p !== 'object' || p === null || Array.isArray(p) || p instanceof Uint8Array || p.t !== 'map') continue;
    const get = (k: string) => mapGet(p, k);
    const pid = get('pid');
    if (pid === undefined || !isPid(pid)) continue;
    const name = get('registered_name');
    const fact: ProcessFact = { node: pid.node.name || node, pid, snapshot };
    if (name !== undefined && !isAtom(name, 'nil') && !isAtom(name, 'undefined')) fact.name = name;
    const ic = get('dictionary_initial_call') ?? get('initial_call');
    const ic2 = get('initial_call');
    const pick = ic !== undefined && isTuple(ic, 3) && !isAtom(ic.items[0], 'proc_lib') ? ic : ic2;
    if (pick !== undefined && isTuple(pick, 3) && isAtom(pick.items[0]) && isAtom(pick.items[1]) && typeof pick.items[2] === 'number')
      fact.initialCall = [pick.items[0], pick.items[1], pick.items[2]];
    const extra: Record<string, Term> = {};
    for (const k of ['ancestors', 'behaviour', 'module', 'names', 'label', 'parent', 'status', 'exit_reason']) {
      const v = get(k);
      if (v !== undefined) extra[k] = v;
    }
    (fact as ProcessFact & { extra?: Record<string, Term> }).extra = extra;
    out.push(fact);
  }
  return out;
}

/**
 * `facts/sources-*.etf`: `[%{module:, entry:, path:}]` → entry name → file. Not needed to read the archive (the
 * entry names stand in), so a malformed one is a warning naming the entry and the item, not an error.
 */
function sourceFiles(t: Term, fileName: string, entry: ZipEntry, warnings: string[]): [string, string][] {
  const out: [string, string][] = [];
  const bad = (what: string) => warnings.push(`${fileName}: ${entry.name} (offset ${entry.offset}): ${what}; those sources show under their entry names`);
  if (!Array.isArray(t)) {
    bad('not a list');
    return out;
  }
  t.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m) || m instanceof Uint8Array || m.t !== 'map') return bad(`item ${i} is not a map`);
    const name = mapGet(m, 'entry');
    const path = mapGet(m, 'path');
    if (!(name instanceof Uint8Array)) return bad(`item ${i}: entry is not a binary`);
    if (!(path instanceof Uint8Array)) return bad(`item ${i}: path is not a binary`);
    out.push([decoder.decode(name), decoder.decode(path)]);
  });
  return out;
}

export function mapGet(m: ErlMap, key: string): Term | undefined {
  const a: Atom = atom(key);
  for (const [k, v] of m.entries) if (k === a) return v;
  return undefined;
}

function field(m: ErlMap, key: string, fileName: string, entry: ZipEntry): Term {
  const v = mapGet(m, key);
  if (v === undefined) throw new TraceReadError(fileName, entry.offset, `${entry.name}: chunk has no :${key} field`);
  return v;
}

function isInteger(t: Term): t is number | bigint {
  return typeof t === 'bigint' || Number.isSafeInteger(t);
}

/** A chunk field that must be an integer (`:v`, `:n`, `:t0`, `:u0`), as a bigint. */
function integerField(m: ErlMap, key: string, fileName: string, entry: ZipEntry): bigint {
  const v = field(m, key, fileName, entry);
  if (!isInteger(v)) throw new TraceReadError(fileName, entry.offset, `${entry.name}: :${key} is not an integer`);
  return BigInt(v);
}

function asMap(t: Term, fileName: string, entry: ZipEntry, what: string): ErlMap {
  if (typeof t === 'object' && t !== null && !Array.isArray(t) && !(t instanceof Uint8Array) && t.t === 'map') return t;
  throw new TraceReadError(fileName, entry.offset, `${entry.name}: ${what} is not a map`);
}

function parseJson(bytes: Uint8Array, fileName: string, entry: ZipEntry): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new TraceReadError(fileName, entry.offset, `${entry.name}: not valid JSON (${(e as Error).message})`);
  }
}

async function decodeEntry(entry: ZipEntry, fileName: string): Promise<Term> {
  return decodeEntryBytes(await entry.data(), entry, fileName);
}

async function decodeEntryBytes(bytes: Uint8Array, entry: ZipEntry, fileName: string): Promise<Term> {
  return decodeNested(bytes, fileName, entry, 'term');
}

function decodeNested(bytes: Uint8Array, fileName: string, entry: ZipEntry, what: string, from?: number, to?: number): Term {
  try {
    return from === undefined ? decodeTerm(bytes) : decodeTermIn(bytes, from, to!);
  } catch (e) {
    if (e instanceof EtfError) throw new TraceReadError(fileName, entry.offset, `${entry.name}: ${what}: ${e.message}`);
    throw e;
  }
}
