/**
 * `npm run fuzz`: hostile variants of the fixtures through every reader (see
 * mutate.ts), each in a worker thread watched by this process: an input that
 * runs past the time limit is a hang, the worker is ended and a fresh one
 * goes on with the next input. Every hang, and every outcome that is not a
 * load or a TraceReadError naming file and offset, is a finding: it is
 * printed with its reproduction, and the exit code is 1.
 *
 *   npm run fuzz                              10,000 inputs per reader, seed 1
 *   npm run fuzz -- --count 500 --seed 7      fewer inputs, another seed
 *   npm run fuzz -- --only dbg:1234           one input, for a finding's reproduction
 *   npm run fuzz -- --readers dbg --from 5000 inputs 5000.. of the dbg reader only
 *   npm run fuzz -- --timeout 5000            the per-input time limit (ms)
 */
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { READERS, type ReaderKind } from './mutate';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    from: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '5000' },
    only: { type: 'string' },
    readers: { type: 'string', default: READERS.join(',') },
  },
});
const seed = Number(values.seed);
const timeout = Number(values.timeout);
const count = Number(values.count);

interface Job {
  reader: ReaderKind;
  from: number;
  to: number;
}

let jobs: Job[];
if (values.only) {
  const [reader, index] = values.only.split(':');
  jobs = [{ reader: reader as ReaderKind, from: Number(index), to: Number(index) + 1 }];
} else jobs = (values.readers.split(',') as ReaderKind[]).map((reader) => ({ reader, from: Number(values.from), to: count }));

const tally: Record<string, { loaded: number; error: number; finding: number; hang: number; maxMs: number; slowest: string }> = {};
const findings: string[] = [];
/** Findings are printed as they come (a long run may be stopped) and again at the end. */
function report(finding: string): void {
  findings.push(finding);
  console.error(finding);
}

function runJob(job: Job): Promise<void> {
  return new Promise((resolve) => {
    let next = job.from;
    const t = (tally[job.reader] ??= { loaded: 0, error: 0, finding: 0, hang: 0, maxMs: 0, slowest: '' });
    const start = () => {
      if (next >= job.to) return resolve();
      const worker = new Worker(new URL('./fuzz-worker.mjs', import.meta.url), { workerData: { reader: job.reader, from: next, to: job.to, seed } });
      let current = -1;
      let timer: NodeJS.Timeout | undefined;
      let startedAt = 0;
      worker.on('message', (m: { start?: number; done?: number; kind?: string; message?: string; recipe?: string }) => {
        if (m.start !== undefined) {
          current = m.start;
          startedAt = performance.now();
          clearTimeout(timer);
          timer = setTimeout(() => {
            t.hang++;
            report(`HANG ${job.reader}:${current} (seed ${seed}, over ${timeout} ms): ${m.recipe}`);
            next = current + 1;
            clearTimeout(timer);
            void worker.terminate().then(start);
          }, timeout);
          return;
        }
        clearTimeout(timer);
        const ms = performance.now() - startedAt;
        if (ms > t.maxMs) ((t.maxMs = ms), (t.slowest = `${job.reader}:${m.done}: ${m.recipe}`));
        next = m.done! + 1;
        if (m.kind === 'loaded') t.loaded++;
        else if (m.kind === 'error') t.error++;
        else {
          t.finding++;
          report(`FINDING ${job.reader}:${m.done} (seed ${seed}): ${m.recipe}\n  ${m.message?.replace(/\n/g, '\n  ')}`);
        }
        if (values.only) console.log(`${m.kind}: ${m.message ?? ''}\n  recipe: ${m.recipe}`);
        if ((m.done! + 1) % 1000 === 0) console.error(`fuzz ${job.reader}: ${m.done! + 1} of ${job.to}`);
      });
      worker.on('error', (e) => {
        clearTimeout(timer);
        t.finding++;
        // Died before its first input started: that input (or the harness) is at fault; skip it.
        if (current < 0) current = next;
        report(`CRASH ${job.reader}:${current} (seed ${seed}): the worker died: ${e.message}`);
        next = current + 1;
        start();
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0 && next >= job.to) resolve();
      });
    };
    start();
  });
}

const started = performance.now();
// One worker per reader at a time: the machine may be shared.
for (const job of jobs) await runJob(job);
for (const [reader, t] of Object.entries(tally)) {
  console.log(
    `${reader.padEnd(8)} ${t.loaded + t.error + t.finding + t.hang} inputs: ${t.loaded} loaded, ${t.error} clear errors, ${t.finding} findings, ${t.hang} hangs; slowest ${t.maxMs.toFixed(0)} ms (${t.slowest})`,
  );
}
console.log(`${((performance.now() - started) / 1000).toFixed(0)} s`);
for (const f of findings) console.log(f);
process.exitCode = findings.length > 0 ? 1 : 0;
