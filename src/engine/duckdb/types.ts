import type { DuckDBBindings, DuckDBConnection } from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';

/**
 * What the engine needs from DuckDB: one synchronous connection.
 *
 * Both the browser worker and the Node CLI run DuckDB-WASM's *blocking*
 * bindings, so the engine's SQL runs on the calling thread with no second
 * worker hop and the same code path in both places.
 */
export interface DuckDb {
  conn: DuckDBConnection;
  /** Another connection to the same database (the SQL console's own). */
  connect(): DuckDBConnection;
  version: string;
  /** Bytes of WebAssembly memory the database holds (it grows, never shrinks; 4 GiB at most). */
  wasmBytes(): number;
  close(): void;
  /** Where the tables may move to a database file (the browser's OPFS, ./opfs); none in Node. */
  disk?: DiskStorage;
}

/**
 * A place for the database file the tables move to when a load would not fit in DuckDB-WASM's 4 GB (the browser's
 * origin-private file system: ./opfs). DuckDB then keeps only the blocks it works on in memory and evicts the rest
 * to the file.
 */
export interface DiskStorage {
  /** What the page calls it. */
  readonly name: string;
  /** Creates this session's database file and returns the path to ATTACH; rejects with why the storage cannot be used. */
  prepare(): Promise<string>;
}

export interface OpenOptions {
  /** DuckDB's memory_limit (e.g. '64MB'); settings are locked once the database is open, so it is set here or never. */
  memoryLimit?: string;
  /** The one folder DuckDB may open files in (the session's database file on disk, ./opfs); none by default. */
  diskFolder?: string;
}

/**
 * Statements every new database runs first. The trace never leaves the machine: DuckDB may not touch a file
 * or URL (`read_csv('http://…')`, `ATTACH 'https://…'`, `COPY … TO`, replacement scans of a path), may not
 * install or load an extension, and the configuration is then locked, so no later statement (the SQL
 * console's, an expectations file's) can switch any of it back on. The engine needs no file access: rows
 * arrive as Arrow IPC buffers and exports are written outside DuckDB. The one exception is the browser's own
 * database file for a trace too big for memory (`diskFolder`, ./opfs): a folder of the origin-private file
 * system that only this site can see.
 */
export function startupSql(options: OpenOptions = {}): string[] {
  return [
    'SET autoload_known_extensions = false',
    'SET autoinstall_known_extensions = false',
    // The default in-memory database keeps columns uncompressed; an attached in-memory database with COMPRESS
    // stores them as a database file does (dictionary, FSST, bit packing). Measured at 1M events: table memory
    // 741 MB -> 93 MB and peak wasm memory 1.24 GiB -> 0.75 GiB, for ~10% more load time.
    "ATTACH ':memory:' AS otpscope (COMPRESS)",
    'USE otpscope',
    ...(options.memoryLimit === undefined ? [] : [`SET memory_limit = '${options.memoryLimit.replace(/'/g, "''")}'`]),
    // The tables' own database file (origin-private, never a user's file): the only path DuckDB may open.
    ...(options.diskFolder === undefined ? [] : [`SET allowed_directories = ['${options.diskFolder.replace(/'/g, "''")}']`]),
    'SET allow_community_extensions = false',
    'SET enable_external_access = false',
    'SET lock_configuration = true',
  ];
}

/** Instantiates and opens bindings from either build, and wraps the connection the engine uses. */
export async function openBindings(db: DuckDBBindings, options: OpenOptions = {}): Promise<DuckDb> {
  await db.instantiate(() => {});
  performance.mark('otpscope:runtime');
  // Direct I/O: how DuckDB-WASM opens an OPFS database file (./opfs); the in-memory database has no file.
  db.open(options.diskFolder === undefined ? {} : { useDirectIO: true });
  performance.mark('otpscope:db-open');
  const conn = db.connect();
  // One query (its statements run in order): each query's round trip through the bindings and its Arrow result
  // cost more than these statements themselves.
  conn.query(startupSql(options).join(';\n'));
  performance.mark('otpscope:startup-sql');
  const mod = (db as unknown as { mod?: { HEAPU8?: Uint8Array } }).mod;
  return {
    conn,
    connect: () => db.connect(),
    version: db.getVersion(),
    wasmBytes: () => mod?.HEAPU8?.buffer.byteLength ?? 0,
    close: () => {
      conn.close();
      // Frees the instance (the bench opens many); the wasm memory itself is released with the module.
      (db as unknown as { reset?: () => void }).reset?.();
    },
  };
}

/** Rows per statement when an \`INSERT INTO t VALUES (?, …)\` over many rows runs as multi-row INSERTs. */
const ROWS_PER_INSERT = 500;

/**
 * The table and parameter count of \`INSERT INTO t VALUES (?, …)\`, else null: the shape both engines run over many
 * rows as one statement per ROWS_PER_INSERT rows instead of one run per row (an archive's meta rows).
 */
export function parameterInsert(sql: string): { table: string; width: number } | null {
  const m = /^\s*INSERT INTO (\w+) VALUES \((\?(?:\s*,\s*\?)*)\)\s*$/i.exec(sql);
  return m === null ? null : { table: m[1], width: m[2].split(',').length };
}

/**
 * \`rows\` as multi-row INSERTs into \`table\` of at most ROWS_PER_INSERT rows each: every statement's SQL, with
 * \`tuple\` (e.g. \`(?, ?)\`) once per row, and its parameters, row after row.
 */
export function* multiRowInserts<T>(table: string, tuple: string, rows: T[][]): Generator<{ sql: string; values: T[] }> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const chunk = rows.slice(start, start + ROWS_PER_INSERT);
    yield { sql: `INSERT INTO ${table} VALUES ${chunk.map(() => tuple).join(', ')}`, values: chunk.flat() };
  }
}
