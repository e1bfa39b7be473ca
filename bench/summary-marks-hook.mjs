// Loaded with --import into `otpscope summary` by bench/summary-steps.mjs: writes the performance marks
// (otpscope:*) of the main thread and of the native DuckDB thread to the file OTPSCOPE_MARKS_FILE, one JSON line
// each, with absolute times (timeOrigin + startTime, ms), so both threads' marks share one clock. The main thread
// adds Node's own milestones, the process's CPU time (every thread) and its minor page faults as it exits.
import { appendFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.OTPSCOPE_MARKS_FILE;
const write = (o) => appendFileSync(file, JSON.stringify(o) + '\n');
const origin = performance.timeOrigin;
const first = process.cpuUsage();
/** CPU time when this hook runs, just after Node's bootstrap. */
const firstCpu = (first.user + first.system) / 1000;
if (file && isMainThread) {
  // The process's CPU time (every thread) at each mark: performance.mark wrapped, as the CLI calls it.
  const cpu = new Map();
  const mark = performance.mark.bind(performance);
  performance.mark = (name, options) => {
    const u = process.cpuUsage();
    cpu.set(name, (u.user + u.system) / 1000);
    return mark(name, options);
  };
  process.on('exit', () => {
    const t = performance.nodeTiming;
    write({ thread: 'main', name: 'node:bootstrap-complete', at: origin + t.bootstrapComplete, cpuMs: firstCpu });
    for (const m of performance.getEntriesByType('mark'))
      write({ thread: 'main', name: m.name, at: origin + m.startTime, cpuMs: cpu.get(m.name), detail: m.detail ?? undefined });
    const u = process.cpuUsage();
    write({
      thread: 'main',
      name: 'exit',
      at: origin + performance.now(),
      cpuMs: (u.user + u.system) / 1000,
      userMs: u.user / 1000,
      sysMs: u.system / 1000,
      // Pages touched for the first time: each costs ~16 µs on the machines measured, and their count hardly
      // depends on the machine's load, unlike the times.
      faults: process.resourceUsage().minorPageFault,
      origin,
    });
  });
} else if (file) {
  // A worker is stopped, not exited: its marks are written as they come.
  // (A worker shares the process's timeOrigin: its marks are on the main thread's clock.)
  write({ thread: 'native', name: 'thread-ready', at: origin + performance.now() });
  new PerformanceObserver((list) => {
    for (const m of list.getEntries()) write({ thread: 'native', name: m.name, at: origin + m.startTime });
  }).observe({ type: 'mark' });
}
