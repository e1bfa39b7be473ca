/** One fuzz worker: runs inputs `from..to` of one reader, telling the parent when each starts and how it ended. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadSeeds, makeInput, type ReaderKind } from './mutate';
import { runInput } from './run-input';

const { reader, from, to, seed } = workerData as { reader: ReaderKind; from: number; to: number; seed: number };
const seeds = loadSeeds();
for (let i = from; i < to; i++) {
  const input = await makeInput(seeds, reader, i, seed);
  parentPort!.postMessage({ start: i, recipe: input.recipe });
  const outcome = await runInput(input);
  parentPort!.postMessage({ done: i, recipe: input.recipe, ...outcome });
}
