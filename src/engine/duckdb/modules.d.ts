// The package's "./blocking" export points browsers at a file it does not
// ship; we import the real browser blocking build by path (aliased in Vite).
declare module '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs' {
  export * from '@duckdb/duckdb-wasm/dist/types/src/targets/duckdb-browser-blocking';
}
declare module '@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs' {
  export * from '@duckdb/duckdb-wasm/dist/types/src/targets/duckdb-node-blocking';
}
