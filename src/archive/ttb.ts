/**
 * Reader for a `ttb` upload folder (what `ttb:stop([fetch])` or
 * `ttb:stop([{fetch_dir, Dir}])` leaves behind): per node a trace log in the
 * dbg trace-port framing (`<Node>-<Name>`, or a wrap set
 * `<Node>-<Name>.<N>.wrp`) and a trace-info file `<Node>-<Name>.ti`.
 *
 * Logs are matched to their `.ti` the way `ttb:format/1` does: for `X.ti` the
 * log is `X` if that file exists, else the wrap set `X.*.wrp`. Logs of several
 * nodes are merged on one timeline by timestamp, as ttb's formatter does
 * (ties and untimestamped events keep their log's order).
 *
 * A `.ti` file is a sequence of records `<<Len:8, T:Len/binary>>` where T is a
 * `term_to_binary` of `{Key, Value}`; a term too big for the length byte is
 * written as the record `{'$size', N}` followed by the N-byte term itself
 * (OTP `ttb:get_term/1`, `observer_backend:ttb_write_binary/2`).
 * `{pid, {Pid, Name | InitialMFA}}` records become `ProcessFact`s (merged per
 * pid: a name and an initial call can both be known); every other key
 * (`node`, `file`, `flags`, `logfile`, `ttb_control`, user keys written with
 * `ttb:write_trace_info/2`) is returned as trace-info metadata.
 *
 * A log that stops at a bad frame keeps the events before it and ends there;
 * the other logs are merged to their end, and the stop (a `TraceStoppedError`
 * naming that log and the frame's offset) is thrown after the last batch.
 */
import { decodeTermAt, EtfError } from './etf/decode';
import { atom, isAtom, isTuple } from './etf/term';
import type { Atom, Term } from './etf/term';
import { orderWrapFiles, readDbgFile, readDbgWrapSet } from './dbg';
import type { DbgReadOptions, DbgReadSummary, NamedBytes } from './dbg';
import { TraceReadError, TraceStoppedError } from './trace-event';
import type { ProcessFact, TraceBatch, TraceEvent } from './trace-event';
import { callMfa, namedNode, nodeOf, PairDedup, termKey, TraceMessageMapper } from './trace-message';

/** One `.ti` file and the log it describes. */
export interface TtbTraceInfo {
  tiFile: string;
  /** The traced node (`{node, N}`), when recorded. */
  node?: string;
  /** The log's file(s) in read order (one file, or a wrap set oldest first); empty when missing. */
  logFiles: string[];
  /** Non-pid records by key, values in file order (ttb keeps every value of a repeated key). */
  info: Record<string, Term[]>;
}

export interface TtbFolder {
  /** Events of all logs merged by timestamp; the first batch carries `processes`. The return value sums up the read. */
  batches: Generator<TraceBatch, DbgReadSummary, void>;
  processes: ProcessFact[];
  traceInfo: TtbTraceInfo[];
  /** Warnings found so far; reading `batches` appends to it. */
  warnings: string[];
}

export function readTtbFolder(files: NamedBytes[], opts: DbgReadOptions = {}): TtbFolder {
  const warnings: string[] = [];
  const warn = (w: string) => {
    warnings.push(w);
    opts.onWarning?.(w);
  };
  const byName = new Map(files.map((f) => [f.name, f]));
  const used = new Set<string>();
  const traceInfo: TtbTraceInfo[] = [];
  const facts = new Map<string, ProcessFact>();
  const logs: { files: NamedBytes[]; wrap: boolean; node?: string }[] = [];

  for (const ti of files.filter((f) => f.name.endsWith('.ti')).sort((a, b) => cmp(a.name, b.name))) {
    used.add(ti.name);
    const records = readTraceInfoRecords(ti.bytes, ti.name, warn);
    const entry: TtbTraceInfo = { tiFile: ti.name, logFiles: [], info: {} };
    const pidRecords: Term[] = [];
    for (const r of records) {
      if (!isTuple(r, 2) || !isAtom(r.items[0])) {
        warn(`${ti.name}: ignored a record that is not {Key, Value}`);
        continue;
      }
      const key = r.items[0].name;
      if (key === 'pid') pidRecords.push(r.items[1]);
      else (entry.info[key] ??= []).push(r.items[1]);
      if (key === 'node' && isAtom(r.items[1])) entry.node = r.items[1].name;
    }
    // Pids the node wrote while its distribution was down (ttb writes them as it stops) are its own, as in its log.
    const own = entry.node === undefined ? undefined : atom(entry.node);
    for (const v of pidRecords) addFact(facts, v, warn, ti.name, own);
    const base = ti.name.slice(0, -'.ti'.length);
    if (byName.has(base)) {
      entry.logFiles = [base];
      logs.push({ files: [byName.get(base)!], wrap: false, node: entry.node });
    } else {
      entry.logFiles = orderWrapFiles(
        files.map((f) => f.name),
        { prefix: `${base}.`, suffix: '.wrp' },
      );
      if (entry.logFiles.length > 0) logs.push({ files: entry.logFiles.map((n) => byName.get(n)!), wrap: true, node: entry.node });
      else warn(`${ti.name}: no trace log ${base} or ${base}.<N>.wrp in the folder`);
    }
    for (const n of entry.logFiles) used.add(n);
    if (entry.logFiles.length > 0 && entry.logFiles.every((n) => byName.get(n)!.bytes.length === 0))
      warn(`${entry.logFiles.join(', ')}: empty trace log: it holds no trace message of ${entry.node ?? 'its node'}`);
    traceInfo.push(entry);
  }

  // Logs whose .ti is missing are still read (without process names).
  const orphans = files.filter((f) => !used.has(f.name) && !baseName(f.name).startsWith('.')).sort((a, b) => cmp(a.name, b.name));
  const wrapGroups = new Map<string, NamedBytes[]>();
  for (const f of orphans) {
    const m = /^(.*)\.[0-9]+\.wrp$/.exec(f.name);
    if (m) wrapGroups.set(m[1], [...(wrapGroups.get(m[1]) ?? []), f]);
    else {
      warn(`${f.name}: no trace-info file (${f.name}.ti); read without process names`);
      logs.push({ files: [f], wrap: false });
    }
  }
  for (const [base, group] of wrapGroups) {
    warn(`${base}.<N>.wrp: no trace-info file (${base}.ti); read without process names`);
    const order = orderWrapFiles(
      group.map((f) => f.name),
      { prefix: `${base}.`, suffix: '.wrp' },
    );
    logs.push({ files: order.map((n) => byName.get(n)!), wrap: true });
  }

  const processes = [...facts.values()];
  return { batches: mergeLogs(logs, processes, opts, warn, warnings), processes, traceInfo, warnings };
}

/** The records of a `.ti` file, in order. A record cut short at the end is a warning; undecodable bytes are an error. */
export function readTraceInfoRecords(bytes: Uint8Array, fileName: string, onWarning: (w: string) => void = () => {}): Term[] {
  const out: Term[] = [];
  let p = 0;
  const decode = (start: number, len: number): Term => {
    try {
      const { term, end } = decodeTermAt(bytes.subarray(start, start + len), 0);
      if (end !== len) throw new TraceReadError(fileName, start, `trace-info term ends at ${end} of its ${len} bytes`);
      return term;
    } catch (err) {
      if (err instanceof EtfError) throw new TraceReadError(fileName, start, `corrupt trace-info record: ${err.message}`);
      throw err;
    }
  };
  while (p < bytes.length) {
    const len = bytes[p];
    if (p + 1 + len > bytes.length) {
      onWarning(`${fileName}: truncated trace-info record at offset ${p}; the rest is ignored`);
      break;
    }
    let term = decode(p + 1, len);
    let next = p + 1 + len;
    if (isTuple(term, 2) && isAtom(term.items[0], '$size')) {
      const n = Number(term.items[1]);
      if (next + n > bytes.length) {
        onWarning(`${fileName}: truncated trace-info record at offset ${p} ({'$size', ${n}}); the rest is ignored`);
        break;
      }
      term = decode(next, n);
      next += n;
    }
    out.push(term);
    p = next;
  }
  return out;
}

function addFact(facts: Map<string, ProcessFact>, value: Term, warn: (w: string) => void, file: string, node?: Atom) {
  if (!isTuple(value, 2)) return warn(`${file}: ignored a pid record that is not {Pid, Info}`);
  const pid = node === undefined ? value.items[0] : namedNode(value.items[0], node);
  const info = value.items[1];
  const key = termKey(pid);
  const fact = facts.get(key) ?? { node: nodeOf(pid) ?? '', pid };
  // Later records win, as in ttb:format/1 (it keeps the last definition per pid).
  // A registered name, or {global, Name} for a globally registered process.
  if (isAtom(info) || (isTuple(info, 2) && isAtom(info.items[0], 'global'))) fact.name = info;
  else {
    const call = callMfa(info);
    if (call) fact.initialCall = call.mfa;
    else return warn(`${file}: ignored pid info of an unknown shape for ${key}`);
  }
  facts.set(key, fact);
}

/** Reads every log (with a mapper each, sharing spawn/link pairs) and merges them by ts. */
function* mergeLogs(
  logs: { files: NamedBytes[]; wrap: boolean; node?: string }[],
  processes: ProcessFact[],
  opts: DbgReadOptions,
  warn: (w: string) => void,
  warnings: string[],
): Generator<TraceBatch, DbgReadSummary, void> {
  const dedup = new PairDedup();
  const total: DbgReadSummary = { frames: 0, events: 0, dropped: 0, folded: {}, warnings: [] };
  const mappers: TraceMessageMapper[] = [];
  const streams = logs.map((log) => {
    const mapper = new TraceMessageMapper({ ...opts, node: log.node }, dedup);
    mappers.push(mapper);
    const o: DbgReadOptions = { ...opts, mapper, onWarning: warn, batchSize: opts.batchSize ?? 10_000 };
    const gen = log.wrap ? readDbgWrapSet(log.files, o) : readDbgFile(log.files[0].bytes, log.files[0].name, o);
    return { gen, events: [] as TraceEvent[], i: 0, bytesRead: 0, done: false };
  });
  type Stream = (typeof streams)[number];
  // A log that stops at a bad frame (its events before it all read) ends there; the others are read on, and the
  // first such stop is thrown once everything else is yielded, as a dbg file's is.
  let stopped: TraceStoppedError | undefined;
  const next = (s: Stream) => {
    try {
      return s.gen.next();
    } catch (err) {
      if (!(err instanceof TraceStoppedError)) throw err;
      stopped ??= err;
      return { done: true as const, value: { frames: 0, events: 0, dropped: 0, folded: {}, warnings: [] } };
    }
  };
  const head = (s: Stream): TraceEvent | undefined => {
    while (s.i >= s.events.length && !s.done) {
      const r = next(s);
      if (r.done) {
        s.done = true;
        total.frames += r.value.frames;
        total.dropped += r.value.dropped;
      } else {
        s.events = r.value.events;
        s.i = 0;
        s.bytesRead = r.value.bytesRead;
      }
    }
    return s.i < s.events.length ? s.events[s.i] : undefined;
  };
  const batchSize = opts.batchSize ?? 10_000;
  let out: TraceEvent[] = [];
  let first = true;
  const batch = (): TraceBatch => {
    const b: TraceBatch = { events: out, bytesRead: streams.reduce((n, s) => n + s.bytesRead, 0) };
    if (first) b.processes = processes;
    first = false;
    total.events += out.length;
    out = [];
    return b;
  };
  for (;;) {
    let best: Stream | undefined;
    let bestEv: TraceEvent | undefined;
    for (const s of streams) {
      const e = head(s);
      if (e && (!bestEv || e.ts < bestEv.ts)) ((best = s), (bestEv = e));
    }
    if (!best || !bestEv) break;
    out.push(bestEv);
    best.i++;
    if (out.length >= batchSize) yield batch();
  }
  if (out.length > 0 || first) yield batch();
  const skipped = new Map<string, number>();
  for (const m of mappers) for (const [k, n] of m.skipped) skipped.set(k, (skipped.get(k) ?? 0) + n);
  const merged = new TraceMessageMapper();
  for (const [k, n] of skipped) merged.skipped.set(k, n);
  for (const m of mappers) for (const [k, at] of m.firstSkipped) if (!merged.firstSkipped.has(k)) merged.firstSkipped.set(k, at);
  for (const m of mappers) for (const [k, n] of m.noted) merged.noted.set(k, (merged.noted.get(k) ?? 0) + n);
  for (const w of merged.summary()) warn(w);
  for (const m of mappers) for (const [k, n] of m.folded) total.folded[k] = (total.folded[k] ?? 0) + n;
  total.warnings = [...warnings];
  if (stopped) throw stopped;
  return total;
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
