import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine';
import { SCHEMA_VERSION } from '../../src/engine/sql/build';
import { Comparison } from '../../src/engine/compare/comparison';
import { loadScenario, rows, scenarioBytes } from './scenarios-load';

// docs/SCHEMA.md is a contract: every relation and macro it documents must have exactly the columns (and,
// where it states them, the types) that DESCRIBE gives after a load, and everything a user can query must be
// documented (the ingest tables are listed under "Internal tables").
const doc = readFileSync(new URL('../../docs/SCHEMA.md', import.meta.url), 'utf8');

interface Claim {
  relation: string;
  /** Where in SCHEMA.md, for the failure message. */
  line: number;
  columns: { name: string; type: string | null; only?: string | null }[];
}

const TYPES = /^(BIGINT|INTEGER|VARCHAR|DOUBLE|BOOLEAN|UBIGINT|HUGEINT|VARCHAR\[\])$/;

/** `a, b TYPE, c` -> columns (a type applies to the name it follows). */
function signature(text: string): Claim['columns'] {
  return text
    .split(',')
    .map((part) => part.trim().split(/\s+/))
    .filter((w) => w[0] !== '')
    .map(([name, type]) => ({ name, type: type && TYPES.test(type) ? type : null }));
}

/** Every column claim the document makes: `name(col TYPE, ...)` signatures, `| column | type |` tables, the macro table. */
function claims(): Claim[] {
  const out: Claim[] = [];
  const lines = doc.split('\n');
  let section: string[] = [];
  let table: Claim | null = null;
  // relations of the section given their columns inline (`name(col TYPE, ...)`): a column table is not theirs
  let inline = new Set<string>();
  lines.forEach((line, i) => {
    if (line.startsWith('## ') || line.startsWith('### ')) {
      section = [...line.matchAll(/`([a-z_]+)(?:\(|`)/g)].map((m) => m[1]);
      inline = new Set();
      table = null;
    }
    // `name(col, col TYPE, ...)` where the parenthesis holds columns, not macro arguments (those have a `:=` or
    // are the macros' own argument lists, which the macro table below covers).
    for (const m of line.matchAll(/`([a-z_]+)\(([a-z_]+(?: [A-Z]+)?(?:, [a-z_]+(?: [A-Z]+(?: PRIMARY KEY)?)?)+)\)`/g)) {
      if (MACRO_ARGS[m[1]]) continue;
      inline.add(m[1]);
      out.push({ relation: m[1], line: i + 1, columns: signature(m[2].replace(' PRIMARY KEY', '')) });
    }
    const macroRow = /^\| `([a-z_]+)\([a-z_, ]*\)` \| ([a-z_, ]+) \|/.exec(line);
    if (macroRow) out.push({ relation: macroRow[1], line: i + 1, columns: signature(macroRow[2]) });
    if (/^\| column \| type \| meaning \|/.test(line)) {
      // the table's relation: a lead-in line naming it (`anomalies`:), else the section's relations not given inline
      const lead = /^`([a-z_]+)`:$/.exec(lines[i - 2] ?? '')?.[1];
      const own = lead ? [lead] : section.filter((r) => !inline.has(r));
      table = { relation: own.join('+'), line: i + 1, columns: [] };
      out.push(table);
    } else if (table && line.startsWith('| ') && !line.startsWith('|---')) {
      const [names, types, meaning] = line
        .split('|')
        .slice(1, 4)
        .map((c) => c.trim());
      const typeList = types.split(' / ');
      // "`effects` only: ..." restricts a row of a shared table to one relation
      const only = /^`([a-z_]+)` only/.exec(meaning)?.[1] ?? null;
      names
        .split(' / ')
        .forEach((group, g) =>
          group.split(',').forEach((n) => table!.columns.push({ name: n.trim(), type: TYPES.test(typeList[g] ?? '') ? typeList[g] : null, only })),
        );
    } else if (table && !line.startsWith('|')) table = null;
  });
  return out;
}

/** Arguments to call each table macro with, to DESCRIBE what it returns. */
const MACRO_ARGS: Record<string, string> = {
  alive_at: '0',
  state_at: '0',
  mailbox_at: '0',
  links_at: '0',
  tree_at: '0',
  name_at: '0',
  causes: '0, 3',
  effects: '0, 3',
  mailbox_depth_buckets: '0, 1000, 3',
  state_size_buckets: '0, 1000, 3',
  latency_histogram: '[1, 20, 300]',
};

describe('docs/SCHEMA.md matches the database a load builds', () => {
  let e: Engine;
  const described = new Map<string, Map<string, string>>();
  const describe_ = (relation: string) => {
    if (!described.has(relation)) {
      const from = MACRO_ARGS[relation] !== undefined ? `${relation}(${MACRO_ARGS[relation]})` : relation;
      described.set(relation, new Map(rows(e, `DESCRIBE SELECT * FROM ${from}`).map((r) => [String(r[0]), String(r[1])])));
    }
    return described.get(relation)!;
  };
  beforeAll(async () => {
    // A recording with names, restarts, calls, timeouts and states: every table has rows. A second recording
    // loaded to compare with makes the compare tables (and schema b) exist, one correction compare_overrides.
    e = await loadScenario('name-resolution.zip');
    const comparison = new Comparison(e.db.wasm!);
    expect((await comparison.load([{ name: 'compare-before.zip', bytes: scenarioBytes('compare-before.zip') }])).errors).toEqual([]);
    const [a] = rows(e, `SELECT a_node, a_pid FROM compare_match WHERE a_pid IS NOT NULL LIMIT 1`);
    comparison.setMatch({ node: String(a[0]), pid: String(a[1]) }, null);
  }, 240_000);

  test('every documented relation has exactly the documented columns and types', () => {
    const all = claims();
    expect(all.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const c of all) {
      // one table for two macros (`depth_start / size_start`): split it by column prefix
      const parts = c.relation.includes('+') ? splitShared(c) : [c];
      for (const part of parts) {
        let actual: Map<string, string>;
        try {
          actual = describe_(part.relation);
        } catch (err) {
          wrong.push(`SCHEMA.md:${c.line}: ${part.relation}: ${(err as Error).message.split('\n')[0]}`);
          continue;
        }
        const documented = new Set(part.columns.map((x) => x.name));
        const missing = [...actual.keys()].filter((k) => !documented.has(k));
        const extra = [...documented].filter((k) => !actual.has(k));
        if (missing.length) wrong.push(`SCHEMA.md:${c.line}: ${part.relation}: undocumented columns ${missing.join(', ')}`);
        if (extra.length) wrong.push(`SCHEMA.md:${c.line}: ${part.relation}: documented columns it lacks ${extra.join(', ')}`);
        for (const col of part.columns)
          if (col.type && actual.has(col.name) && actual.get(col.name) !== col.type)
            wrong.push(`SCHEMA.md:${c.line}: ${part.relation}.${col.name} is ${actual.get(col.name)}, documented ${col.type}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test('everything a user can query is documented, and the ingest tables are listed as internal', () => {
    const relations = rows(
      e,
      `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()
       UNION SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
       UNION SELECT function_name FROM duckdb_functions() WHERE database_name = current_database() AND function_type IN ('macro', 'table_macro')`,
    ).map((r) => String(r[0]));
    const internal = new Set(
      [
        ...doc
          .slice(doc.indexOf('## Internal tables'))
          .split('\n## ')[0]
          .matchAll(/`([a-z_]+)`/g),
      ].map((m) => m[1]),
    );
    const documented = new Set([...doc.slice(0, doc.indexOf('## Internal tables')).matchAll(/`([a-z_]+)[`(]/g)].map((m) => m[1]));
    expect(relations.filter((r) => !documented.has(r) && !internal.has(r)).sort()).toEqual([]);
    // and nothing listed as internal is gone
    expect([...internal].filter((r) => r.endsWith('_raw') || r.startsWith('send_') || r.startsWith('named_')).filter((r) => !relations.includes(r))).toEqual(
      [],
    );
  });

  test('the schema version SCHEMA.md states is the one the engine writes into meta', () => {
    const stated = Number(/^Schema version: \*\*(\d+)\*\*/m.exec(doc)?.[1]);
    expect(stated).toBe(SCHEMA_VERSION);
    expect(rows(e, `SELECT DISTINCT value FROM meta WHERE key = 'schema_version'`)).toEqual([[String(SCHEMA_VERSION)]]);
  });
});

/**
 * A column table shared by several relations: rows marked "`x` only" belong to x; columns written `a / b` with a
 * relation's own prefix (depth_ for mailbox_depth_buckets, size_ for state_size_buckets) to that relation.
 */
function splitShared(c: Claim): Claim[] {
  const relations = c.relation.split('+');
  const PREFIX: Record<string, string> = { mailbox_depth_buckets: 'depth_', state_size_buckets: 'size_' };
  const prefixes = Object.values(PREFIX);
  return relations.map((relation) => ({
    relation,
    line: c.line,
    columns: c.columns.filter(
      (col) =>
        (col.only == null || col.only === relation) &&
        (!prefixes.some((p) => col.name.startsWith(p)) || (PREFIX[relation] !== undefined && col.name.startsWith(PREFIX[relation]))),
    ),
  }));
}
