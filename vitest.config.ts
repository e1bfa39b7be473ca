import { defineConfig } from 'vitest/config';

// Unit and integration tests run in Node against the real readers and the real
// DuckDB-WASM Node build; browser tests live in test/browser and run separately.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
