import { describe, expect, it } from 'vitest';
import { TableBuilds } from '../../src/engine/table-builds';
import { BUILD_STEPS } from '../../src/engine/sql/build';

// What a console query waits for while the tables behind the first view are still being built.
describe('TableBuilds.namedIn', () => {
  const builds = new TableBuilds(BUILD_STEPS, { run: () => [] });
  const named = (sql: string) => builds.namedIn(sql).sort();

  it('waits for the tables and macros a query reads', () => {
    expect(named('SELECT * FROM messages m JOIN spans s ON s.pid = m.to_pid')).toEqual(['messages', 'spans']);
    expect(named('select count(*) from Calls')).toEqual(['calls']);
    expect(named('SELECT * FROM events, "anomalies"')).toEqual(['anomalies', 'events']);
  });

  it('does not wait for a name that only appears in a string literal or a comment', () => {
    expect(named("SELECT * FROM events WHERE msg LIKE '%spans%' -- and messages\n")).toEqual(['events']);
    expect(named("/* calls, states */ SELECT 'it''s messages' AS x FROM events")).toEqual(['events']);
    expect(named("SELECT 'a--b' AS x FROM spans")).toEqual(['spans']);
  });

  it('reads an unterminated literal or comment to the end', () => {
    expect(named("SELECT * FROM calls WHERE x = 'messages")).toEqual(['calls']);
    expect(named('SELECT * FROM calls /* messages')).toEqual(['calls']);
  });
});
