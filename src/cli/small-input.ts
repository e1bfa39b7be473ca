import { statSync } from 'node:fs';

/**
 * Inputs up to this many bytes load into native DuckDB with one thread. On them each of the ~60 analysis
 * statements is a few milliseconds, most of it fixed cost, and more threads only add their wake-ups and
 * hand-offs: the demo archive's load took ~20% less CPU with one thread than with DuckDB's default (every core).
 * Bigger inputs keep every core.
 */
export const ONE_THREAD_BYTES = 1 << 20;

/**
 * Whether a command's arguments name only small inputs (ONE_THREAD_BYTES in all), judged before the CLI reads
 * them (src/cli/prestart.ts): the files among the arguments, by their size. Unsure is not small: an argument that
 * is a directory, or a glob that names no file (`*`, `?`, `[`; the last argument of \`query\`, its SQL, may hold
 * them), makes the answer false, as does no file at all. Option values that name nothing are passed over.
 */
export function namesSmallInputs(command: string, args: readonly string[]): boolean {
  let bytes = 0;
  let files = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) continue;
    const s = fileInfo(a);
    if (s === undefined) {
      if (/[*?[]/.test(a) && !(command === 'query' && i === args.length - 1)) return false;
      continue;
    }
    if (!s.isFile()) return false;
    bytes += s.size;
    files++;
  }
  return files > 0 && bytes <= ONE_THREAD_BYTES;
}

/** What names no file (missing, longer than a file name may be, holding a NUL) is undefined, never an error. */
function fileInfo(a: string) {
  try {
    return statSync(a, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
