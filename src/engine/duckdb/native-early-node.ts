/**
 * The native DuckDB thread's in-memory database, opened as soon as DuckDB's library is loaded and before node-api's
 * JavaScript is: the open (~40 ms) runs on libuv's thread pool while this thread evaluates node-api (~120 CommonJS
 * modules, bundled), instead of after it. native-worker-boot-node.ts imports this first; native-worker-node.ts wraps
 * the database in node-api's DuckDBInstance. It is opened with DuckDB's defaults, as node-api's
 * DuckDBInstance.create(':memory:') opens one (its `duckdb_api` tag included): the open request then only changes its
 * settings (~0.1 s less between the request and its answer, while the caller waits). Undefined if it failed; the
 * request then opens its own.
 */
import duckdb from '@duckdb/node-bindings';

function open(): Promise<duckdb.Database | undefined> {
  try {
    const config = duckdb.create_config();
    duckdb.set_config(config, 'duckdb_api', 'node-neo-api');
    return duckdb.open(':memory:', config).then(
      (db) => db,
      () => undefined,
    );
  } catch {
    return Promise.resolve(undefined);
  }
}

export const earlyDatabase: Promise<duckdb.Database | undefined> = open();
