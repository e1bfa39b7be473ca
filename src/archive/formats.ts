/**
 * The formats otpscope reads, in one place: how each is recognised from its
 * bytes, how dropped files group into sources (an archive alone, a dbg wrap
 * set together, a ttb log with its `.ti` file), and what each reader yields
 * for a source: its node, the facts for the `meta` table, recorded module
 * sources with their module names, process facts, supervision trees,
 * warnings, and the event batches. The engine asks this module and never
 * looks at bytes, file names or warning text itself.
 */
import { readDbgFile, readDbgWrapSet } from './dbg';
import { decodeTermAt, EtfError } from './etf/decode';
import { isAtom, isTuple } from './etf/term';
import type { Term } from './etf/term';
import { looksLikeZip, readArchiveManifest, readOtpscopeArchive, type Manifest } from './otpscope/read-archive';
import { DEFAULT_READ_LIMITS, type ReadLimits } from './read-limits';
import type { RenderOptions } from './render/options';
import type { ProcessFact, TraceBatch } from './trace-event';
import { nodeOf } from './trace-message';
import { readTtbFolder } from './ttb';

export type FormatId = 'otpscope' | 'dbg' | 'ttb';

export interface InputFile {
  name: string;
  bytes: Uint8Array;
}

/** Files that make one source: an archive, a dbg file or wrap set, a ttb upload. */
export interface InputGroup {
  kind: FormatId;
  /** A display name: the archive, the dbg file (or wrap set), or the ttb log. */
  name: string;
  files: InputFile[];
  bytes: number;
}

export interface InputError {
  file: string;
  offset: number;
  message: string;
  /** The file is of no trace format at all (not a damaged trace): a stray file in a dropped folder is skipped. */
  notATrace?: true;
}

export interface Format {
  id: FormatId;
  /** What the format is, for users ("otpscope archive (zip)"). */
  label: string;
  /** Whether a file's first bytes are this format's. ttb logs are trace-port files like dbg's: a `.ti` file among
   * the dropped files makes them a ttb upload (groupInputs). */
  sniff(bytes: Uint8Array): boolean;
}

/** A dbg / ttb trace-port frame starts with op 0 (term) or 1 (drop count), a 32-bit size and, for terms, the ETF version byte. */
export function looksLikeTracePort(bytes: Uint8Array): boolean {
  if (bytes.length < 5) return false;
  if (bytes[0] === 1) return true;
  return bytes[0] === 0 && bytes.length >= 6 && bytes[5] === 131;
}

export const FORMATS: readonly Format[] = [
  { id: 'otpscope', label: 'otpscope archive (zip)', sniff: looksLikeZip },
  { id: 'dbg', label: 'dbg trace-port file (dbg:trace_port(file, ...)), alone or as a wrap set', sniff: looksLikeTracePort },
  { id: 'ttb', label: 'ttb upload folder (trace logs with their .ti file)', sniff: looksLikeTracePort },
];

/**
 * Whether a file is named as ttb names a log: a `.ti` file's base (`a@host-name`), its wrap files
 * (`a@host-name.0.wrp`), or, for a log whose `.ti` is missing, `NODE-NAME` with a node name (`x@y`) before the dash.
 */
function isTtbLogName(name: string, tiBases: string[]): boolean {
  const base = name.replace(/\.[0-9]+\.wrp$/, '');
  if (tiBases.includes(base)) return true;
  const file = base.slice(base.lastIndexOf('/') + 1);
  return /^[^@]+@[^@]*-./.test(file);
}

/**
 * Sorts dropped files into sources: each otpscope archive alone; ttb logs
 * with the `.ti` file of the same base name (and logs named as ttb names them, `NODE-NAME`, whose `.ti` is
 * missing); remaining trace-port files as
 * dbg traces (files of one wrap set, `<prefix><n><suffix>`, together; files so
 * named whose first messages are of different nodes are those nodes' traces,
 * each a source of its own).
 */
export function groupInputs(files: InputFile[]): { groups: InputGroup[]; errors: InputError[] } {
  const groups: InputGroup[] = [];
  const errors: InputError[] = [];
  const tis = files.filter((f) => f.name.endsWith('.ti'));
  const ttb: InputFile[] = [...tis];
  // A ttb log a node never wrote to is empty, so no format knows it by its bytes: its name, beside its .ti, tells.
  const logBases = tis.map((ti) => ti.name.slice(0, -'.ti'.length));
  const isEmptyTtbLog = (f: InputFile) =>
    f.bytes.length === 0 && logBases.some((b) => f.name === b || (f.name.startsWith(`${b}.`) && /^\.[0-9]+\.wrp$/.test(f.name.slice(b.length))));
  const wrap = new Map<string, InputFile[]>();
  for (const f of files) {
    if (f.name.endsWith('.ti')) continue;
    if (isEmptyTtbLog(f)) {
      ttb.push(f);
      continue;
    }
    const format = FORMATS.find((fmt) => fmt.sniff(f.bytes))?.id;
    if (format === 'otpscope') {
      groups.push({ kind: 'otpscope', name: f.name, files: [f], bytes: f.bytes.length });
    } else if (format !== undefined) {
      // A trace-port file. With .ti files present, a file named as ttb names its logs is part of the upload (the ttb
      // reader pairs logs with their .ti itself, and reads one whose .ti is missing); any other is a dbg trace
      // dropped beside it, a source of its own.
      if (tis.length > 0 && isTtbLogName(f.name, logBases)) {
        ttb.push(f);
        continue;
      }
      const m = /^(.*?)(\d+)(\.[^.\d]*)?$/.exec(f.name);
      const key = m ? `${m[1]}\u0000${m[3] ?? ''}` : f.name;
      let set = wrap.get(key);
      if (set === undefined) wrap.set(key, (set = []));
      set.push(f);
    } else {
      const head = Array.from(f.bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
      errors.push({
        file: f.name,
        offset: 0,
        notATrace: true,
        message: `${f.name}: at offset 0: not a trace: expected an otpscope archive (zip, "PK\\3\\4") or a dbg/ttb trace-port frame (op 0 or 1, 32-bit size, ETF 131); found bytes ${head || '(empty file)'}`,
      });
    }
  }
  if (ttb.length > tis.length) {
    const logs = ttb.filter((f) => !f.name.endsWith('.ti'));
    groups.push({
      kind: 'ttb',
      name: logs.length === 1 ? logs[0].name : `${logs[0].name} (+${logs.length - 1} ttb logs)`,
      files: ttb,
      bytes: ttb.reduce((n, f) => n + f.bytes.length, 0),
    });
  } else if (tis.length > 0) {
    for (const ti of tis)
      errors.push({ file: ti.name, offset: 0, message: `${ti.name}: a ttb trace-info file without its trace log; drop the whole ttb upload folder` });
  }
  for (const named of wrap.values())
    for (const set of byTracedNode(named)) {
      const bytes = set.reduce((n, f) => n + f.bytes.length, 0);
      groups.push({ kind: 'dbg', name: set.length === 1 ? set[0].name : `${set[0].name} (+${set.length - 1} wrap files)`, files: set, bytes });
    }
  return { groups, errors };
}

/**
 * Files named like one wrap set (`node1.trace`, `node2.trace`) that trace different nodes are no wrap set: the
 * traces of several nodes (`dbg:tracer(Node, port, ...)` on each), each its own source. Split by the node of each
 * file's first message; a file whose first frame tells no node (a drop) stays with the others when they agree.
 */
function byTracedNode(set: InputFile[]): InputFile[][] {
  if (set.length <= 1) return [set];
  const nodes = set.map((f) => firstTracedNode(f.bytes));
  const known = new Set(nodes.filter((n) => n !== undefined));
  if (known.size <= 1) return [set];
  const out = new Map<string, InputFile[]>();
  set.forEach((f, i) => {
    const key = nodes[i] ?? `\u0000${f.name}`;
    out.set(key, [...(out.get(key) ?? []), f]);
  });
  return [...out.values()];
}

/** The node of the process or port in a trace-port file's first frame, if it is a trace message. */
function firstTracedNode(bytes: Uint8Array): string | undefined {
  if (bytes.length < 5 || bytes[0] !== 0) return undefined;
  const size = ((bytes[1] << 24) | (bytes[2] << 16) | (bytes[3] << 8) | bytes[4]) >>> 0;
  if (5 + size > bytes.length) return undefined;
  try {
    const msg = decodeTermAt(bytes.subarray(5, 5 + size), 0).term;
    return isTuple(msg) && msg.items.length >= 3 && (isAtom(msg.items[0], 'trace') || isAtom(msg.items[0], 'trace_ts')) ? nodeOf(msg.items[1]) : undefined;
  } catch (err) {
    if (err instanceof EtfError) return undefined;
    throw err;
  }
}

/** A recorded module source file, with the module it defines. */
export interface ModuleSource {
  path: string;
  /** The file the module was compiled from (`lib/my_app/worker.ex`) when the archive says (format 3), else null. */
  file: string | null;
  /** Elixir `MyApp.Worker`, Erlang `:mod`. */
  module: string;
  text: string;
}

/** What a reader yields for one source. */
export interface OpenedSource {
  /** The node(s) the source recorded (comma-separated for a ttb upload of several). Raw dbg traces name no node up
   * front: it is the node of the first traced process or port, known once `batches` has yielded an event. */
  readonly node: string;
  /** An archive's OS process (manifest \`os_pid\`): archives of one node name and OS pid are one run of the node. */
  osPid?: string;
  /** Facts for the `meta` table, flattened keys (`clock.time_offset_ns`, `totals.events_dropped`). */
  meta: Record<string, string | null>;
  sources: ModuleSource[];
  processes: ProcessFact[];
  trees: { snapshot: 'start' | 'stop'; node: string; term: Term }[];
  /** How its terms print: charlists as the traced node's Elixir writes them (`~c"abc"` from 1.15, `'abc'` before). */
  render: RenderOptions;
  /** Warnings known before the events are read; a reader's later warnings go to `onWarning`. */
  warnings: string[];
  batches: AsyncIterable<TraceBatch>;
}

export interface OpenOptions {
  /** Ceilings on what an archive may inflate to (zip bombs). */
  limits?: ReadLimits;
  /** Warnings that come while the events are read. */
  onWarning?: (warning: string) => void;
  /**
   * How raw dbg/ttb traces print charlists, which they cannot tell: `sigil` (`~c"abc"`, Elixir 1.15+, the default,
   * with the rest of the newest inspect's rules) or `quotes` (`'abc'`, as Elixir 1.14 prints everything). otpscope
   * archives follow the Elixir version they recorded.
   */
  rawCharlists?: 'sigil' | 'quotes';
  /** otpscope archives: one TraceEvent per event instead of columns per chunk (the earlier way, for comparisons). */
  eventObjects?: boolean;
}

/** Whether an Elixir version (`1.14.0`, `1.18.3-otp-27`) is at least 1.`minor`; unknown: yes (the newest rules). */
function elixirAtLeast(elixirVersion: string | null | undefined, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(elixirVersion ?? '');
  if (!m) return true;
  const [major, min] = [Number(m[1]), Number(m[2])];
  return major > 1 || (major === 1 && min >= minor);
}

/**
 * How inspect/1 of that Elixir version prints what changed between 1.14 and 1.18 (unknown version: 1.18's way):
 * charlists as `~c"..."` from 1.15, the rules of RenderOptions.elixir118 from 1.18.
 */
export function inspectStyle(elixirVersion: string | null | undefined): Pick<RenderOptions, 'sigilCharlists' | 'elixir118'> {
  return { sigilCharlists: elixirAtLeast(elixirVersion, 15), elixir118: elixirAtLeast(elixirVersion, 18) };
}

/** Opens a group with its format's reader. Throws `TraceReadError` (file, offset, cause) when it cannot be read. */
export async function openSource(group: InputGroup, opts: OpenOptions = {}): Promise<OpenedSource> {
  const onWarning = opts.onWarning ?? (() => {});
  const raw: RenderOptions = inspectStyle((opts.rawCharlists ?? 'sigil') === 'sigil' ? null : '1.14');
  if (group.kind === 'otpscope') {
    const f = group.files[0];
    const archive = await readOtpscopeArchive(f.bytes, f.name, opts.limits ?? DEFAULT_READ_LIMITS);
    const node = archive.manifest.node;
    return {
      node,
      osPid: archive.manifest.os_pid ?? '',
      meta: { ...flatten('', archive.manifest), ...flatten('totals.', archive.totals ?? {}) },
      sources: archive.sources.map((s) => ({ ...s, module: moduleOfSourcePath(s.path) })),
      processes: archive.processes,
      render: { ...inspectStyle(archive.manifest.elixir_version), structFields: (m) => archive.structs.get(m) },
      trees: (['start', 'stop'] as const).flatMap((snapshot) => {
        const term = archive.trees[snapshot];
        return term === undefined ? [] : [{ snapshot, node, term }];
      }),
      warnings: archive.warnings,
      batches: archive.batches({ objects: opts.eventObjects }),
    };
  }
  if (group.kind === 'dbg') {
    const gen = group.files.length === 1 ? readDbgFile(group.files[0].bytes, group.files[0].name, { onWarning }) : readDbgWrapSet(group.files, { onWarning });
    const opened: OpenedSource = {
      node: '',
      meta: {},
      sources: [],
      processes: [],
      trees: [],
      render: raw,
      warnings: [],
      batches: withNode(gen, (n) => ((opened as { node: string }).node = n)),
    };
    return opened;
  }
  const folder = readTtbFolder(group.files, { onWarning });
  const node = folder.traceInfo
    .map((t) => t.node)
    .filter(Boolean)
    .join(', ');
  return {
    node,
    meta: { format: 'ttb', logs: folder.traceInfo.flatMap((t) => t.logFiles).join(', ') },
    sources: [],
    processes: folder.processes,
    trees: [],
    render: raw,
    warnings: [],
    batches: toAsync(folder.batches),
  };
}

/**
 * The run of the node an archive recorded (its manifest's node, OS pid and start), read before any archive of a load
 * is, so that runs of one node name are numbered by start (engine/ingest/node-runs.ts); null for raw traces, which
 * say nothing of their run, and for an archive whose manifest cannot be read (its load reports why).
 */
export async function sourceRun(
  group: InputGroup,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): Promise<{ node: string; osPid: string; startedAt: bigint } | null> {
  if (group.kind !== 'otpscope') return null;
  const f = group.files[0];
  let m: Manifest;
  try {
    m = await readArchiveManifest(f.bytes, f.name, limits);
  } catch {
    return null;
  }
  return { node: m.node, osPid: m.os_pid ?? '', startedAt: startOf(m) };
}

function startOf(m: Manifest): bigint {
  try {
    return BigInt(m.started_at_ns ?? 0) || BigInt(m.clock.monotonic_start_ns) + BigInt(m.clock.time_offset_ns);
  } catch {
    return 0n;
  }
}

/** `sources/Elixir.MyApp.Worker.ex` -> `MyApp.Worker`; `sources/my_mod.erl` -> `:my_mod`. */
export function moduleOfSourcePath(path: string): string {
  const base = path.replace(/\.(ex|exs|erl)$/, '');
  return base.startsWith('Elixir.') ? base.slice('Elixir.'.length) : `:${base}`;
}

async function* withNode(batches: Iterable<TraceBatch>, setNode: (node: string) => void): AsyncGenerator<TraceBatch> {
  let known = false;
  for (const batch of batches) {
    // A drop frame before the first trace message names no node ('').
    const node = known ? undefined : (batch.node ?? batch.events.find((e) => e.node !== '')?.node);
    if (node !== undefined) {
      setNode(node);
      known = true;
    }
    yield batch;
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** A JSON null is NULL (the recorder writes null for what a node does not have, e.g. `elixir_version` without Elixir). */
function flatten(prefix: string, o: object): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(`${prefix}${k}.`, v as object));
    else out[prefix + k] = v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}
