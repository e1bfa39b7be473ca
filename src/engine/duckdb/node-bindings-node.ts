/**
 * DuckDB's native addon as `@duckdb/node-bindings` exports it, loaded in the bundled CLI's DuckDB thread in its
 * place (scripts/build-cli.mjs aliases the package to this module): see load-bindings-node.ts for how it is found.
 */
import { loadNodeBindings } from './load-bindings-node';

export default loadNodeBindings();
