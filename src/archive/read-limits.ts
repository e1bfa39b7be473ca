/**
 * Ceilings on what reading one input may inflate, against zip bombs (an
 * entry whose few compressed bytes expand to gigabytes). Each entry must
 * inflate to exactly its declared size; on top of that, no entry may declare
 * more than `maxEntryBytes`, and all entries of one archive together no more
 * than `maxArchiveBytes`. The defaults are far above what a recorder writes
 * (a chunk of 16,384 events is well under 1 MiB) and below what a tab can
 * hold; a user with a bigger archive raises them (CLI `--max-entry-mb` /
 * `--max-archive-mb`, engine option `limits`).
 */
export interface ReadLimits {
  /** Largest uncompressed size one zip entry may have, in bytes. */
  maxEntryBytes: number;
  /** Largest uncompressed size of all entries of one archive together, in bytes. */
  maxArchiveBytes: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxEntryBytes: 256 * 1024 * 1024,
  maxArchiveBytes: 4 * 1024 * 1024 * 1024,
};

/** `1048576` -> `1048576 bytes (1.0 MiB)`, for error messages that name sizes. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) ((v /= 1024), u++);
  return `${n} bytes (${v.toFixed(1)} ${units[u]})`;
}
