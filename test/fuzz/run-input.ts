/**
 * Runs one fuzz input the way the engine reads a file (reader, then the
 * ingest's EventSink, without DuckDB) and classifies the outcome. The rule
 * every input must meet: it loads, or it fails with a TraceReadError, whose
 * message names the file and the byte offset. Anything else (a TypeError, a
 * RangeError, a thrown string) is a finding.
 */
import { readOtpscopeArchive } from '../../src/archive/otpscope/read-archive';
import { readDbgFile, readDbgWrapSet } from '../../src/archive/dbg';
import { readTtbFolder } from '../../src/archive/ttb';
import { batchSize, TraceReadError, type TraceBatch } from '../../src/archive/trace-event';
import { EventSink } from '../../src/engine/ingest/event-sink';
import type { FuzzInput } from './mutate';

export type Outcome = { kind: 'loaded'; events: number } | { kind: 'error'; message: string } | { kind: 'finding'; message: string };

async function* batches(input: FuzzInput): AsyncGenerator<TraceBatch> {
  const onWarning = () => {};
  if (input.reader === 'otpscope') {
    const f = input.files[0];
    const archive = await readOtpscopeArchive(f.bytes, f.name);
    const trees = (['start', 'stop'] as const).flatMap((snapshot) => {
      const term = archive.trees[snapshot];
      return term === undefined ? [] : [{ snapshot, node: archive.manifest.node, term }];
    });
    yield { events: [], processes: archive.processes, trees, bytesRead: 0 };
    yield* archive.batches();
  } else if (input.reader === 'dbg') {
    yield* input.files.length === 1 ? readDbgFile(input.files[0].bytes, input.files[0].name, { onWarning }) : readDbgWrapSet(input.files, { onWarning });
  } else {
    const folder = readTtbFolder(input.files, { onWarning });
    yield { events: [], processes: folder.processes, bytesRead: 0 };
    yield* folder.batches;
  }
}

export async function runInput(input: FuzzInput): Promise<Outcome> {
  const sink = new EventSink(0, 0);
  let events = 0;
  try {
    for await (const batch of batches(input)) {
      if (batch.columns) sink.addColumns(batch.columns);
      for (const ev of batch.events) sink.add(ev);
      for (const f of batch.processes ?? []) sink.addFact(f);
      for (const t of batch.trees ?? []) sink.addTree(t.snapshot, t.node, t.term);
      events += batchSize(batch);
      if (sink.events.length >= 50_000) sink.drain();
    }
    sink.drain();
    return { kind: 'loaded', events };
  } catch (e) {
    if (e instanceof TraceReadError && /^.+: at offset \d+: ./.test(e.message) && input.files.some((f) => e.file.startsWith(f.name)))
      return { kind: 'error', message: e.message };
    const message = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 6).join('\n') ?? ''}` : `non-Error thrown: ${String(e)}`;
    return { kind: 'finding', message };
  }
}
