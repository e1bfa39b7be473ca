import { asConnection, type EngineConnection } from '../duckdb/connection';
import type { DuckDb } from '../duckdb/types';
import { Engine, type InputFile, type LoadOptions, type LoadProgress, type LoadReport, type ReadLimits } from '../engine';
import { ColumnBuilder } from '../ingest/columns';
import { CREATE_PARAMS } from '../sql/anomalies';
import { parseTerm } from '../text-terms/parse';
import { diffNodes } from '../text-terms/diff';
import { elideIds, shapeOf } from './shape';
import { BUILD_COMPARE, COMPARE_OVERRIDES, COMPARE_TABLES, CREATE_SHAPES, SHAPE_TEXTS } from './sql';

/** The schema recording B's tables live in: `b.calls`, `b.messages`, ... beside A's. */
export const B_SCHEMA = 'b';

/**
 * Two recordings side by side. Recording A is the analyzer's loaded timeline;
 * recording B is loaded by a second Engine on its own connection whose
 * default schema is `b`, so it gets every table A has (same ingest, same
 * SQL) without touching A's, and keeps its own timeline. The compare tables
 * (docs/SCHEMA.md) are then plain SQL across `main` and `b`, built on A's
 * connection, where the views, the SQL console and expectations see them.
 */
export class Comparison {
  private b: Engine | null = null;
  private bConn: EngineConnection | null = null;
  /** A's connection: the compare tables are built on it. */
  private readonly a: EngineConnection;

  /** @param db A's database (DuckDB-WASM, or either engine's EngineConnection): B gets a second connection to it. */
  constructor(
    db: DuckDb | EngineConnection,
    private readonly limits: Partial<ReadLimits> = {},
  ) {
    this.a = asConnection(db);
  }

  /** Whether a recording B is loaded. */
  get loaded(): boolean {
    return this.b !== null;
  }

  /** B's engine, for B's own views (its timeline, its events). */
  get engineB(): Engine {
    if (this.b === null) throw new Error('no recording B is loaded: load one to compare with');
    return this.b;
  }

  /**
   * Loads recording B (replacing any previous B), then builds the compare
   * tables. Files that fail are reported as in Engine.load; when none loads,
   * B stays empty and the tables compare A with nothing.
   */
  async load(files: InputFile[], onProgress?: (p: LoadProgress) => void, options?: LoadOptions): Promise<LoadReport> {
    this.clear();
    const conn = this.a.connect();
    conn.query('USE otpscope');
    conn.query(`CREATE SCHEMA ${B_SCHEMA}`);
    conn.query(`USE otpscope.${B_SCHEMA}`);
    this.bConn = conn;
    this.b = await Engine.create(conn, { limits: this.limits });
    // B's anomalies must be judged by A's thresholds, or a changed threshold would read as a changed system.
    // Neither may have its thresholds table yet (its anomalies step makes it).
    this.b.ensureParams();
    this.a.query(CREATE_PARAMS.join(';\n'));
    this.a.query(`UPDATE ${B_SCHEMA}.params AS p SET value = m.value FROM main.params AS m WHERE m.name = p.name`);
    const report = await this.b.load(files, onProgress, options);
    this.build();
    return report;
  }

  /** Forgets B and the compare tables (the manual matches too). */
  clear(): void {
    for (const t of [...COMPARE_TABLES, 'compare_overrides']) this.a.query(`DROP TABLE IF EXISTS main.${t}`);
    this.a.query(`DROP SCHEMA IF EXISTS ${B_SCHEMA} CASCADE`);
    this.bConn?.close();
    this.bConn = null;
    this.b = null;
  }

  /**
   * Corrects the matching: A's process `a` is B's process `b` (either may be
   * null: that process has no counterpart). Replaces whatever either was
   * matched with, and rebuilds the compare tables.
   */
  setMatch(a: { node: string; pid: string } | null, b: { node: string; pid: string } | null): void {
    if (a === null && b === null) throw new Error('setMatch needs a process of A or of B');
    const row = [a?.node ?? null, a?.pid ?? null, b?.node ?? null, b?.pid ?? null];
    this.a.query(COMPARE_OVERRIDES);
    this.a.execute('DELETE FROM compare_overrides WHERE (a_node = ? AND a_pid = ?) OR (b_node = ? AND b_pid = ?)', [row]);
    this.a.execute('INSERT INTO compare_overrides VALUES (?, ?, ?, ?)', [row]);
    this.build();
  }

  /** Drops every manual match and rebuilds. */
  resetMatches(): void {
    this.a.query('DROP TABLE IF EXISTS compare_overrides');
    this.build();
  }

  /** Sets anomaly thresholds on B as on A (Engine.setParams), then rebuilds. */
  setParams(values: Record<string, number>): void {
    this.engineB.setParams(values);
    this.build();
  }

  /** (Re)builds the compare tables from A's and B's current tables (after either loads more files). */
  build(): void {
    if (this.b === null) throw new Error('no recording B is loaded');
    const conn = this.a;
    conn.query(CREATE_SHAPES);
    const texts = conn.query(SHAPE_TEXTS).rows;
    const cols = new ColumnBuilder({ text: 'str', shape: 'str' });
    for (const [text] of texts) cols.push(text as string, shapeOf(text as string));
    conn.insertArrowIpc('compare_shapes', cols.toIPC());
    for (const sql of BUILD_COMPARE) conn.query(sql);
    this.fillStateDiffs(conn);
  }

  /** The structural diff of the two states at each pair's first difference. */
  private fillStateDiffs(conn: EngineConnection): void {
    const rows = conn.query(`SELECT a_seq, b_seq, state_a, state_b FROM compare_states WHERE change = 'differs'`).rows;
    if (rows.length === 0) return;
    conn.execute(
      'UPDATE compare_states SET diff = ? WHERE a_seq = ? AND b_seq = ?',
      rows.map(([aSeq, bSeq, stateA, stateB]) => [describeDiff(String(stateA), String(stateB)), aSeq, bSeq]),
    );
  }
}

/** `.audits: 0 -> 1; .logs: 2 -> 1`: the state diff as one line (pids, references and ports elided). */
export function describeDiff(a: string, b: string): string {
  const changes = diffNodes(parseTerm(elideIds(a)), parseTerm(elideIds(b)), 20);
  return changes
    .map((c) =>
      c.change === 'added'
        ? `${c.label} added: ${c.after}`
        : c.change === 'removed'
          ? `${c.label} removed: ${c.before}`
          : `${c.label}: ${c.before} -> ${c.after}`,
    )
    .join('; ');
}
