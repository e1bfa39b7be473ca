import { defineConfig } from 'vitest/config';

// Unit and integration tests run in Node against the real readers and the real
// DuckDB-WASM Node build; browser tests live in test/browser and run separately.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // Guards against a hang, not speed checks (those are in npm run bench): generous, so a test passes on a
    // busy machine too (CLI runs in child processes, two engines, whole-archive loads).
    testTimeout: 300_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
