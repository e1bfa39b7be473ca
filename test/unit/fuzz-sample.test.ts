import { describe, expect, it } from 'vitest';
import { loadSeeds, makeInput, READERS } from '../fuzz/mutate';
import { runInput } from '../fuzz/run-input';

// A fixed sample of the fuzz corpus (`npm run fuzz` runs 10,000 inputs per reader, each with a time limit):
// hostile variants of every fixture must load, or fail with a TraceReadError naming the file and the offset.
// Never a TypeError, a RangeError, a thrown non-Error or a crash.
const SAMPLE = 300;
const seeds = loadSeeds();

describe('fuzz sample (seed 1)', { timeout: 600_000 }, () => {
  for (const reader of READERS) {
    it(`${SAMPLE} mutated ${reader} inputs: each loads or fails naming file and offset`, async () => {
      const findings: string[] = [];
      const kinds = { loaded: 0, error: 0 };
      for (let i = 0; i < SAMPLE; i++) {
        const input = await makeInput(seeds, reader, i, 1);
        const outcome = await runInput(input);
        if (outcome.kind === 'finding') findings.push(`${reader}:${i} ${input.recipe}: ${outcome.message}`);
        else kinds[outcome.kind]++;
      }
      expect(findings).toEqual([]);
      // The sample exercises both paths, not only one.
      expect(kinds.loaded).toBeGreaterThan(0);
      expect(kinds.error).toBeGreaterThan(0);
    });
  }
});
