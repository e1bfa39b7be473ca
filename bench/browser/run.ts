/**
 * The Chromium figures: the real app (dist/) loading archives through its file
 * input; beside it, in the same browser, the bench page (bench/web/) whose
 * worker runs the same Engine and DuckDB-WASM build and times the Arrow IPC
 * floor; memory; timeline frame times; the largest archive one tab loads.
 */
import path from 'node:path';
import type { Row } from '../table';
import { median, percentile } from '../core/load-run';
import { fmt, fmtBytes, fmtInt, fmtMs, fmtShort } from '../main';
import type { PingPongArchive } from '../recorder';
// @ts-expect-error: plain JS module shared with the browser tests' harness
import { withChromium, uiLoad, timelineFrames } from './ui-load.mjs';

interface Plan {
  sizes: number[];
  timelineAt: number | null;
  largest: number[];
  quick: boolean;
  archive: (n: number) => PingPongArchive;
}

export async function chromiumFigures(plan: Plan, log: (s: string) => void): Promise<{ rows: Row[]; results: Record<string, unknown> }> {
  // The built site (default dist/): another build's folder, so a rebuild of dist/ does not change a long run midway.
  const siteRoot = process.env.OTPSCOPE_BENCH_SITE;
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  const { benchPage } = await import('./bench-page');
  await withChromium(async ({ site, context }: { site: { origin: string }; context: any }) => {
    const ui: Record<string, unknown> = {};
    // Frame times are taken on the timeline-size page right after its load, and the page is closed before the
    // next, bigger load: pages of one site share a renderer process, and a kept 1M-event page starved a 5M load.
    let timelineResult: { frames?: number[]; notBuilt?: string } | undefined;
    results.ui = ui;
    for (const n of plan.sizes) {
      const a = plan.archive(n);
      const runs = plan.quick || n >= 1_000_000 ? 1 : 3;
      const rs = [];
      for (let i = 0; i < runs; i++) {
        // The last run at the timeline's size keeps its page for the frame-time figure.
        const keep = i === runs - 1 && n === plan.timelineAt;
        const r = await uiLoad(context, site.origin, a.file, { keepPage: keep });
        if (r.page) {
          timelineResult = await timelineFrames(r.page);
          await r.page.close();
          delete r.page;
        }
        log(
          // The engine's own time is read from a load report only older shells show (ui-load.mjs); null otherwise.
          `chromium ui load ${path.basename(a.file)} ${i + 1}/${runs}: ${r.outcome} usable ${r.usableMs} ms, all tables ${r.wallMs} ms${r.engineMs === null ? '' : ` (engine ${r.engineMs} ms)`}`,
        );
        rs.push(r);
        if (r.outcome !== 'report') break;
      }
      const ok = rs.filter((r) => r.outcome === 'report');
      const wall = median(ok.map((r) => r.wallMs));
      const usable = median(ok.map((r) => r.usableMs ?? NaN));
      const engineMs = median(ok.map((r) => r.engineMs ?? NaN));
      const events = ok[0]?.events ?? a.events;
      const entry: Record<string, unknown> = { archive: a, runs: rs };
      ui[n] = entry;
      const label = `${fmtShort(events)} events (${fmtBytes(a.bytes)})`;
      const goal = Math.abs(n - 1_000_000) < 1 ? 2000 : undefined;
      const usableGoal = Math.abs(n - 1_000_000) < 1 ? 1000 : undefined;
      if (ok.length > 0 && Number.isFinite(usable))
        rows.push({
          section: '3 load (Chromium, app)',
          figure: `${label}: file input to Overview usable (events and processes in, the rest building)`,
          value: fmtMs(usable),
          goal: usableGoal ? `≤ ${fmtMs(usableGoal)}` : '',
          status: usableGoal ? (usable <= usableGoal ? 'met' : 'MISSED') : '',
        });
      rows.push({
        section: '3 load (Chromium, app)',
        figure: `${label}: file input to all tables ready${Number.isFinite(engineMs) ? ` (engine's own: ${fmtMs(engineMs)})` : ''}`,
        value: ok.length === 0 ? `failed: ${rs[0].outcome} ${rs[0].errorText ?? ''}`.trim() : `${fmtMs(wall)} (${fmtShort(events / (wall / 1000))} ev/s)`,
        goal: goal ? `≤ ${fmtMs(goal)}` : '',
        status: ok.length === 0 ? 'error' : goal ? (wall <= goal ? 'met' : 'MISSED') : '',
      });
      if (ok.length > 0 && usableGoal !== undefined) {
        // One more load with the page opened on the Timeline: when its lanes show events (the marks need events only).
        const t = await uiLoad(context, site.origin, a.file, { search: '#p=timeline', lanes: true });
        log(
          `chromium ui load ${path.basename(a.file)} on the Timeline: ${t.outcome} lanes ${t.lanesMs} ms, usable ${t.usableMs} ms, all tables ${t.wallMs} ms`,
        );
        entry.timeline = t;
        if (t.outcome === 'report' && t.lanesMs !== null)
          rows.push({
            section: '3 load (Chromium, app)',
            figure: `${label}: file input to the Timeline's first lanes drawn (page opened on the Timeline; one run, its Overview usable at ${fmtMs(t.usableMs ?? NaN)})`,
            value: fmtMs(t.lanesMs),
            goal: '',
            status: '',
          });
      }
      const mem = ok[ok.length - 1]?.memory;
      if (mem?.processPrivate)
        rows.push({
          section: '4 memory (Chromium, app)',
          figure: `${label}: main-thread JS heap ${fmtBytes(mem.mainHeapUsed)}; worker heap + wasm (bench page below)`,
          value: mem.processPrivate
            ? `${fmt(mem.processPrivate / events, 0)} B/event (processes' private memory)`
            : 'n/a (worker memory not visible to the page)',
          goal: '',
          status: '',
        });
    }

    // The bench page: same Engine + DuckDB-WASM in a worker, alternating with the Arrow IPC floor.
    const bp: Record<string, unknown> = {};
    results.benchPage = bp;
    for (const n of plan.sizes) {
      const a = plan.archive(n);
      const runs = 1;
      const r = await benchPage(context, site.origin, a.file, runs, log);
      bp[n] = r;
      if ('notBuilt' in r) {
        rows.push({
          section: '3 load (Chromium, worker)',
          figure: `${fmtShort(n)} events: decode+ingest vs Arrow IPC floor`,
          value: `n/a (${r.notBuilt})`,
          goal: '≤ 2x',
          status: 'n/a',
        });
        continue;
      }
      const label = `${fmtShort(r.events)} events`;
      rows.push({
        section: '3 load (Chromium, worker)',
        figure: `${label}: decode+ingest / Arrow IPC floor (${fmtMs(r.ingestMs)} / ${fmtMs(r.floorMs)}; analyse ${fmtMs(r.analyseMs)}; total ${fmtMs(r.totalMs)})`,
        value: `${fmt(r.ingestOverFloor, 1)}x`,
        goal: '≤ 2x',
        status: r.ingestOverFloor <= 2 ? 'met' : 'MISSED',
      });
      rows.push({
        section: '4 memory (Chromium, worker)',
        figure: `${label}: JS heap + wasm memory per event (wasm ${fmtBytes(r.wasmBytes)}, worker heap ${r.heapBytes === null ? 'n/a' : fmtBytes(r.heapBytes)})`,
        value: `${fmt((r.wasmBytes + (r.heapBytes ?? 0)) / r.events, 0)} B`,
        goal: '',
        status: '',
      });
    }

    // Timeline frames at the query size.
    if (plan.timelineAt !== null) {
      const a = plan.archive(plan.timelineAt);
      let t: { frames?: number[]; notBuilt?: string } = timelineResult ?? { notBuilt: 'load failed' };
      if (timelineResult === undefined) {
        const r = await uiLoad(context, site.origin, a.file, { keepPage: true });
        if (r.page) {
          t = await timelineFrames(r.page);
          await r.page.close();
        } else t = { notBuilt: `load failed: ${r.outcome}` };
      }
      results.timeline = { archive: a, ...t };
      const label = `${fmtShort(a.events)} events, pan + zoom`;
      if (t.frames && t.frames.length > 0) {
        const p95 = percentile(t.frames, 95);
        rows.push({
          section: '6 timeline (Chromium)',
          figure: `${label}: frame time median (${t.frames.length} frames)`,
          value: fmtMs(median(t.frames)),
          goal: '',
          status: '',
        });
        rows.push({
          section: '6 timeline (Chromium)',
          figure: `${label}: frame time p95`,
          value: fmtMs(p95),
          goal: '≤ 16 ms',
          status: p95 <= 16 ? 'met' : 'MISSED',
        });
      } else
        rows.push({
          section: '6 timeline (Chromium)',
          figure: `${label}: frame time p95`,
          value: `n/a (${t.notBuilt ?? 'no frames recorded'}${t.notBuilt?.startsWith('load') ? '' : ': not built'})`,
          goal: '≤ 16 ms',
          status: 'n/a',
        });
    }
  }, siteRoot);
  // Largest archive one tab loads, in a profile on disk as a user's browser has: the page may move the tables of a
  // big archive to a database file in OPFS, which a throwaway profile keeps in memory.
  if (plan.largest.length > 0)
    await withChromium(
      async ({ site, context }: { site: { origin: string }; context: any }) => {
        // Largest archive one tab loads, and what happens past it: sizes are tried biggest first, down to the first that loads.
        const largest: Record<string, unknown> = {};
        results.largest = largest;
        for (const n of [...plan.largest].sort((x, y) => y - x)) {
          const a = plan.archive(n);
          const r = await uiLoad(context, site.origin, a.file, { timeoutMs: 1_800_000 });
          log(`chromium largest ${path.basename(a.file)}: ${r.outcome} ${r.wallMs} ms, ${r.storage ?? 'tables: n/a'}`);
          largest[n] = { archive: a, ...r };
          rows.push({
            section: '4 memory (Chromium, app)',
            figure: `largest archive in one tab: ${fmtShort(a.events)} events (${fmtBytes(a.bytes)})`,
            value:
              (r.outcome === 'report' ? `loaded in ${fmtMs(r.wallMs)}` : r.outcome === 'error' ? `clear error: ${r.errorText.slice(0, 160)}` : r.outcome) +
              (r.storage ? `; ${r.storage}` : ''),
            goal: '10M events',
            status: r.outcome === 'report' && a.events >= 10_000_000 ? 'met' : r.outcome === 'report' ? '' : 'MISSED',
          });
          if (r.outcome === 'report') break;
        }
      },
      siteRoot,
      { profile: true },
    );
  else
    rows.push({
      section: '4 memory (Chromium, app)',
      figure: 'largest archive in one tab',
      value: plan.quick ? 'n/a (skipped in --quick)' : 'n/a (not run)',
      goal: '10M events',
      status: 'n/a',
    });
  void fmtInt;
  return { rows, results };
}
