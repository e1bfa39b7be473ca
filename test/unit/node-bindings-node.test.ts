import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import bindings from '../../src/engine/duckdb/node-bindings-node';

// The bundled CLI's DuckDB thread loads the addon through src/engine/duckdb/node-bindings-node.ts instead of
// @duckdb/node-bindings (scripts/build-cli.mjs): it must be the very addon the package picks for this machine.
describe('the native addon loaded without the package’s libc check', () => {
  test('is the addon @duckdb/node-bindings loads', () => {
    const fromPackage = createRequire(import.meta.url)('@duckdb/node-bindings') as Record<string, unknown>;
    expect(typeof fromPackage.open).toBe('function');
    // Node keeps one module per addon file: the same file gives the same exports object.
    expect(bindings).toBe(fromPackage);
  });
});
