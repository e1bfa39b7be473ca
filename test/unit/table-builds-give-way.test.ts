import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TableBuilds } from '../../src/engine/table-builds';
import type { BuildStep } from '../../src/engine/sql/build';

// A background build gives the page's next question a moment after each view's answer: the Timeline asks for its
// lanes, then (once they come) for its first tile, and a statement of seconds between the two held its lanes empty.
// Fake timers: the order is what is checked, not how long anything takes.
const STEPS: BuildStep[] = [
  { name: 'a', makes: ['a'], sql: ['A1', 'A2'] },
  { name: 'b', makes: ['b'], sql: ['B1'] },
];

describe('TableBuilds background: views first', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  const setup = () => {
    const ran: string[] = [];
    const builds = new TableBuilds(STEPS, { run: (sql) => (ran.push(String(sql)), [{ sql: String(sql), ms: 0 }]) });
    return { ran, builds };
  };

  it('waits the grace after a view answered before its next statement, and goes on once nothing more is asked', async () => {
    const { ran, builds } = setup();
    builds.viewAnswered();
    builds.background(0, 100);
    await vi.advanceTimersByTimeAsync(60);
    expect(ran).toEqual([]);
    // the page's follow-up question, answered within the grace: the wait starts again from it
    builds.viewAnswered();
    await vi.advanceTimersByTimeAsync(60);
    expect(ran).toEqual([]);
    await vi.advanceTimersByTimeAsync(50);
    expect(ran).toEqual(['A1', 'A2', 'B1']);
    await expect(builds.ready(['b'])).resolves.toBeUndefined();
  });

  it('a page that never stops asking holds a statement back at most 300 ms', async () => {
    const { ran, builds } = setup();
    builds.background(0, 100);
    for (let t = 0; t < 320; t += 40) {
      builds.viewAnswered();
      await vi.advanceTimersByTimeAsync(40);
    }
    expect(ran.length).toBeGreaterThan(0);
  });

  it('waits for the views the page named, however late the page asks, before its first statement', async () => {
    // Regression test for a page opened on the Timeline at 1M events: it asked for its lanes after the head start
    // had ended, and they waited for the build's first statement.
    const { ran, builds } = setup();
    builds.background(150, 100, { views: ['timelineLanes', 'timelineMarks'], maxMs: 1000 });
    await vi.advanceTimersByTimeAsync(400);
    expect(ran).toEqual([]);
    builds.viewAnswered('overviewCounts');
    builds.viewAnswered('timelineLanes');
    await vi.advanceTimersByTimeAsync(300);
    expect(ran).toEqual([]);
    builds.viewAnswered('timelineMarks');
    await vi.advanceTimersByTimeAsync(50);
    expect(ran).toEqual([]); // the grace after the last answer still holds
    await vi.advanceTimersByTimeAsync(60);
    expect(ran).toEqual(['A1', 'A2', 'B1']);
  });

  it('the head start holds when the loop that built the first view is still running', async () => {
    // Regression test: a load's first steps are built by a loop that goes on to the build behind; the head start
    // was read only when a loop began, so it never applied after a load.
    const { ran, builds } = setup();
    await builds.ready(['a']);
    builds.background(150, 0, { views: ['timelineLanes'], maxMs: 1000 });
    await vi.advanceTimersByTimeAsync(500);
    expect(ran).toEqual(['A1', 'A2']);
    builds.viewAnswered('timelineLanes');
    await vi.advanceTimersByTimeAsync(10);
    expect(ran).toEqual(['A1', 'A2', 'B1']);
  });

  it('a named view that never answers holds the build back at most maxMs', async () => {
    const { ran, builds } = setup();
    builds.background(150, 100, { views: ['timelineLanes'], maxMs: 1000 });
    await vi.advanceTimersByTimeAsync(990);
    expect(ran).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(ran).toEqual(['A1', 'A2', 'B1']);
  });

  it('without a grace (a build asked for, the CLI) nothing waits', async () => {
    const { ran, builds } = setup();
    builds.viewAnswered();
    const done = builds.ready(['b']);
    await vi.advanceTimersByTimeAsync(0);
    await done;
    expect(ran).toEqual(['A1', 'A2', 'B1']);
  });
});
