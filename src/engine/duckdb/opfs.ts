/// <reference lib="webworker" />
import { DuckDBDataProtocol, type DuckDBBindings } from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';
import type { DiskStorage } from './types';

/**
 * The tables' database file in the browser's origin-private file system (OPFS), for a trace too big for
 * DuckDB-WASM's 4 GB of memory. The engine attaches it in place of the in-memory database (engine.ts `chooseStorage`):
 * DuckDB then keeps the blocks it works on in memory, up to its memory_limit, and evicts the others to the file.
 *
 * Each page gets its own file, `otpscope/<session>.db` (and its `.wal`), opened with a synchronous access handle,
 * which no other page can open while this one holds it. The files stay when the page closes (OPFS has no hook for
 * that), so every start removes the ones no page holds any more.
 */
export const OPFS_FOLDER = 'opfs://otpscope/';
const FOLDER = 'otpscope';

const session = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

let cleaned: Promise<number> | undefined;

/**
 * Removes the database files earlier pages left in OPFS (a file another open page still uses is locked and
 * stays). Resolves to how many were removed; never rejects.
 */
export function removeEarlierSessions(): Promise<number> {
  return (cleaned ??= removeOthers().catch(() => 0));
}

async function removeOthers(): Promise<number> {
  if (!opfsUsable()) return 0;
  const root = await navigator.storage.getDirectory();
  const folder = await root.getDirectoryHandle(FOLDER).catch(() => null);
  if (folder === null) return 0;
  // Listed first: removing entries while the folder is being listed may make the listing skip some.
  const names: string[] = [];
  for await (const name of (folder as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> }).keys()) if (!name.startsWith(session)) names.push(name);
  let removed = 0;
  // A page still open holds its files: removing them fails, and they stay.
  for (const name of names) if (await folder.removeEntry(name).then(gone, kept)) removed++;
  return removed;
}

const gone = () => true;
const kept = () => false;

function opfsUsable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function' && typeof FileSystemSyncAccessHandle !== 'undefined';
}

/** This page's database file in OPFS, on DuckDB-WASM's bindings (opened with `diskFolder: OPFS_FOLDER`). */
export function opfsStorage(bindings: DuckDBBindings): DiskStorage {
  let path: Promise<string> | undefined;
  return {
    name: 'OPFS',
    prepare: () => (path ??= prepare(bindings)),
  };
}

async function prepare(bindings: DuckDBBindings): Promise<string> {
  if (!opfsUsable()) throw new Error('this browser gives workers no synchronous file access to the origin-private file system (OPFS)');
  await removeEarlierSessions();
  const path = `${OPFS_FOLDER}${session}.db`;
  try {
    // Creates the file and its .wal and opens a synchronous access handle on each (a private window may refuse).
    await bindings.prepareDBFileHandle(path, DuckDBDataProtocol.BROWSER_FSACCESS);
  } catch (e) {
    throw new Error(`the origin-private file system (OPFS) refused a database file: ${e instanceof Error ? e.message : String(e)}`);
  }
  return path;
}
