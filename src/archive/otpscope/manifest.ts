import { TraceReadError } from '../trace-event';
import type { ZipEntry } from '../zip';

/**
 * Checks `manifest.json` and `totals.json` against docs/FORMAT.md before
 * anything reads them, so a bad archive fails with the file, the entry's
 * offset and the field (`manifest.json: clock.time_offset_ns is "abc",
 * expected ...`) instead of a TypeError or `Cannot convert abc to a BigInt`.
 * Only the fields the reader relies on are checked: unknown and optional
 * fields pass through (forward compatibility).
 */

/** The archive format versions this reader understands (docs/FORMAT.md). */
export const SUPPORTED_FORMAT_VERSIONS = [1, 2, 3, 4, 5, 6];

export interface Manifest {
  format: 'otpscope';
  format_version: number;
  recorder_version?: string;
  node: string;
  otp_release?: string;
  erts_version?: string;
  elixir_version?: string | null;
  os_pid?: string;
  clock: { monotonic_start_ns: string; time_offset_ns: string };
  started_at_ns?: string;
  options?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Totals {
  events_written?: number;
  events_dropped?: number;
  terms_truncated?: number;
  chunks?: number;
  stop_reason?: string;
  [key: string]: unknown;
}

const DECIMAL = /^-?\d{1,30}$/;

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v);
  return `${s.length > 60 ? s.slice(0, 57) + '...' : s} (${v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`})`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The parsed `manifest.json`, checked; throws a TraceReadError naming the field otherwise. */
export function checkManifest(json: unknown, fileName: string, entry: ZipEntry): Manifest {
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new TraceReadError(fileName, entry.offset, `manifest.json: ${field} is ${describe(value)}, expected ${expected}`);
  };
  if (!isObject(json)) throw new TraceReadError(fileName, entry.offset, `manifest.json: is ${describe(json)}, expected a JSON object`);
  if (json.format !== 'otpscope') fail('format', json.format, '"otpscope"');
  if (typeof json.format_version !== 'number' || !SUPPORTED_FORMAT_VERSIONS.includes(json.format_version))
    throw new TraceReadError(
      fileName,
      entry.offset,
      `manifest.json: format_version ${JSON.stringify(json.format_version)} is not supported (this reader reads ${SUPPORTED_FORMAT_VERSIONS.join(', ')})`,
    );
  if (typeof json.node !== 'string' || json.node === '') fail('node', json.node, 'the node name as a non-empty string');
  const clock = json.clock ?? {};
  if (!isObject(clock)) fail('clock', clock, 'an object');
  const c = clock as Record<string, unknown>;
  for (const k of ['monotonic_start_ns', 'time_offset_ns']) {
    const v = c[k];
    if (v !== undefined && !(typeof v === 'string' && DECIMAL.test(v)) && !Number.isSafeInteger(v))
      fail(`clock.${k}`, v, 'nanoseconds as a string of decimal digits');
  }
  return json as Manifest;
}

/** The parsed `totals.json` when it is an object; anything else is reported as a warning and ignored (events still load). */
export function checkTotals(json: unknown, fileName: string, warnings: string[]): Totals | undefined {
  if (isObject(json)) return json as Totals;
  warnings.push(`${fileName}: totals.json is ${describe(json)}, expected a JSON object; the totals are ignored`);
  return undefined;
}
