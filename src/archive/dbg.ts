/**
 * Reader for raw `dbg` trace-port files (`dbg:trace_port(file, ...)`, also the
 * per-node logs of ttb). The file is a sequence of frames
 * `<<Op:8, Size:32/big, Body:Size/binary>>` (OTP `dbg:read_term/3`):
 * Op 0 = `term_to_binary` of one trace message, Op 1 = Size messages dropped
 * (no body). Messages become `TraceEvent`s through `./trace-message`.
 *
 * Errors: a frame cut short at the end of the file (the port was killed
 * mid-write) ends the file with a warning; a bad op or an undecodable body is
 * a `TraceReadError` naming the file and the frame's offset, thrown after the
 * events before it (and in a wrap set, after the files that follow it).
 */
import { decodeTermAt, EtfError } from './etf/decode';
import type { DecodeOptions } from './etf/decode';
import { TraceReadError, TraceStoppedError } from './trace-event';
import type { TraceBatch, TraceEvent } from './trace-event';
import { TraceMessageMapper } from './trace-message';
import type { TraceMessageOptions } from './trace-message';

export interface DbgReadOptions extends TraceMessageOptions {
  /** Events per yielded batch (default 10 000). */
  batchSize?: number;
  /** Inflater for compressed terms (the trace port never writes them, but `term_to_binary` can). */
  inflate?: DecodeOptions['inflate'];
  /** Called with each warning as it happens (truncation, skipped-message counts at the end). */
  onWarning?: (warning: string) => void;
  /** A mapper to continue from (wrap sets, ttb): carries the previous ts and spawn/link pairs. */
  mapper?: TraceMessageMapper;
}

/** What a read ends with: the generator's return value. */
export interface DbgReadSummary {
  frames: number;
  events: number;
  /** Messages the trace port dropped (sum of drop frames). */
  dropped: number;
  /** Twin frames folded into one event (a spawn or link traced from both sides), by what they were. */
  folded: Record<string, number>;
  warnings: string[];
}

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

const OP_TERM = 0;
const OP_DROP = 1;
const HEADER = 5;

/** Reads one trace-port file; yields batches of events, returns the summary. */
export function* readDbgFile(bytes: Uint8Array, fileName: string, opts: DbgReadOptions = {}): Generator<TraceBatch, DbgReadSummary, void> {
  const mapper = opts.mapper ?? new TraceMessageMapper(opts);
  const summary: DbgReadSummary = { frames: 0, events: 0, dropped: 0, folded: {}, warnings: [] };
  yield* readFrames(bytes, fileName, opts, mapper, summary, 0);
  if (!opts.mapper) finish(mapper, opts, summary);
  return summary;
}

/** Reads a dbg wrap-file set in trace order (see `orderWrapFiles`), as one stream. */
export function* readDbgWrapSet(files: NamedBytes[], opts: DbgReadOptions = {}): Generator<TraceBatch, DbgReadSummary, void> {
  const byName = new Map(files.map((f) => [f.name, f]));
  const mapper = opts.mapper ?? new TraceMessageMapper(opts);
  const summary: DbgReadSummary = { frames: 0, events: 0, dropped: 0, folded: {}, warnings: [] };
  let base = 0;
  // Each wrap file starts at a frame (the port opens the next one between two frames): a bad frame ends its own file,
  // and the files after it are still read; the first stop is thrown at the end.
  let stopped: TraceStoppedError | undefined;
  for (const name of orderWrapFiles(files.map((f) => f.name))) {
    const f = byName.get(name)!;
    try {
      yield* readFrames(f.bytes, f.name, opts, mapper, summary, base);
    } catch (err) {
      if (!(err instanceof TraceStoppedError)) throw err;
      stopped ??= err;
    }
    base += f.bytes.length;
  }
  if (!opts.mapper) finish(mapper, opts, summary);
  if (stopped) throw stopped;
  return summary;
}

function finish(mapper: TraceMessageMapper, opts: DbgReadOptions, summary: DbgReadSummary) {
  for (const w of mapper.summary()) warn(opts, summary, w);
  summary.folded = Object.fromEntries(mapper.folded);
}

function warn(opts: DbgReadOptions, summary: DbgReadSummary, w: string) {
  summary.warnings.push(w);
  opts.onWarning?.(w);
}

function* readFrames(
  bytes: Uint8Array,
  file: string,
  opts: DbgReadOptions,
  mapper: TraceMessageMapper,
  summary: DbgReadSummary,
  bytesBefore: number,
): Generator<TraceBatch, void, void> {
  const batchSize = opts.batchSize ?? 10_000;
  const decodeOptions: DecodeOptions = opts.inflate ? { inflate: opts.inflate } : {};
  let events: TraceEvent[] = [];
  let stopped: TraceStoppedError | null = null;
  let p = 0;
  const len = bytes.length;
  while (p < len) {
    if (p + HEADER > len) {
      warn(opts, summary, `${file}: truncated frame header at offset ${p} (${len - p} of 5 bytes); the rest of the file is ignored`);
      break;
    }
    const op = bytes[p];
    const size = ((bytes[p + 1] << 24) | (bytes[p + 2] << 16) | (bytes[p + 3] << 8) | bytes[p + 4]) >>> 0;
    if (op === OP_DROP) {
      summary.frames++;
      summary.dropped += size;
      events.push(mapper.drop(size));
      p += HEADER;
    } else if (op === OP_TERM) {
      const start = p + HEADER;
      if (start + size > len) {
        warn(opts, summary, `${file}: truncated frame at offset ${p} (${len - start} of ${size} body bytes); the rest of the file is ignored`);
        break;
      }
      const body = bytes.subarray(start, start + size);
      let decoded;
      try {
        decoded = decodeTermAt(body, 0, decodeOptions);
      } catch (err) {
        if (!(err instanceof EtfError)) throw err;
        stopped = new TraceStoppedError(file, p, `corrupt trace frame: ${err.message} (at body offset ${err.offset}, file offset ${start + err.offset})`);
        break;
      }
      if (decoded.end !== size) {
        stopped = new TraceStoppedError(file, p, `corrupt trace frame: the term ends at body offset ${decoded.end}, the frame is ${size} bytes`);
        break;
      }
      summary.frames++;
      const ev = mapper.map(decoded.term, `${file} at offset ${p}`);
      if (ev) events.push(ev);
      if (ev?.kind === 'drop') summary.dropped += Number(ev.term);
      p = start + size;
    } else {
      stopped = new TraceStoppedError(file, p, `bad trace frame op ${op} (expected 0 = term or 1 = drop)`);
      break;
    }
    if (events.length >= batchSize) {
      summary.events += events.length;
      yield { events, bytesRead: bytesBefore + p, node: mapper.tracedNode };
      events = [];
    }
  }
  if (events.length > 0 || p === 0) {
    summary.events += events.length;
    yield { events, bytesRead: bytesBefore + Math.min(p, len), node: mapper.tracedNode };
  }
  // The frames before a bad one are yielded above: one bad frame never costs the ones before it.
  if (stopped) throw stopped;
}

/**
 * Orders the files of a dbg wrap set (`<Prefix><Counter><Suffix>`, as written
 * by `dbg:trace_port(file, {Prefix, wrap, Suffix, Size, Count})`) oldest first.
 *
 * Like dbg's trace client (`wrap_sort`/`wrap_sortfix`): the counter runs
 * 0..Count and wraps, and the driver keeps at most Count files, so at least
 * one counter value is always missing. Sorted by counter, the files form at
 * most two runs of consecutive counters around ONE gap: `0..C` (not wrapped
 * yet, or the gap is at the end), `C2..N` (gap at 0), or `0..C1, C2..N`, in
 * which case the oldest file is C2 and the trace reads `C2..N` then `0..C1`.
 * Not knowing Count, we accept a gap wider than one value (files lost); more
 * than one gap is an inconsistent set and throws, as in dbg.
 *
 * Prefix and suffix are inferred as the longest common ones (digits at their
 * edges belong to the counter); pass `spec` when the names alone are
 * ambiguous, or to pick the set's files out of other names.
 */
export function orderWrapFiles(names: string[], spec?: { prefix: string; suffix: string }): string[] {
  if (names.length <= 1 && !spec) return [...names];
  const { prefix, suffix } = spec ?? inferPrefixSuffix(names);
  const counted: { c: number; name: string }[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(suffix) || name.length < prefix.length + suffix.length + 1) continue;
    const digits = name.slice(prefix.length, name.length - suffix.length);
    if (!/^[0-9]+$/.test(digits)) {
      if (spec) continue;
      throw new TraceReadError(name, 0, `not part of the wrap set ${prefix}<N>${suffix}`);
    }
    counted.push({ c: Number(digits), name });
  }
  counted.sort((a, b) => a.c - b.c);
  const gaps: number[] = [];
  for (let i = 1; i < counted.length; i++) {
    if (counted[i].c === counted[i - 1].c) throw new TraceReadError(counted[i].name, 0, `wrap counter ${counted[i].c} appears twice`);
    if (counted[i].c !== counted[i - 1].c + 1) gaps.push(i);
  }
  if (gaps.length > 1) {
    throw new TraceReadError(
      counted[0]?.name ?? prefix,
      0,
      `inconsistent wrap file set ${prefix}<N>${suffix}: counters ${counted.map((f) => f.c).join(', ')} have more than one gap`,
    );
  }
  const ordered = gaps.length === 1 ? [...counted.slice(gaps[0]), ...counted.slice(0, gaps[0])] : counted;
  return ordered.map((f) => f.name);
}

function inferPrefixSuffix(names: string[]): { prefix: string; suffix: string } {
  let prefix = names[0];
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  while (/[0-9]$/.test(prefix)) prefix = prefix.slice(0, -1);
  const rests = names.map((n) => n.slice(prefix.length));
  let suffix = rests[0];
  for (const r of rests) while (!r.endsWith(suffix)) suffix = suffix.slice(1);
  while (/^[0-9]/.test(suffix)) suffix = suffix.slice(1);
  return { prefix, suffix };
}
