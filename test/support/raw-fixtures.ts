import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';

/** Raw trace fixtures (test/fixtures) as the analyzer is given them: named bytes, and engines loaded from them. */
const fixtures = path.resolve(__dirname, '../fixtures');

/** One fixture file, named by its path under test/fixtures. */
export const readFixture = (p: string) => ({ name: p, bytes: new Uint8Array(readFileSync(path.join(fixtures, p))) });

/** Every file of a fixture folder (a ttb upload). */
export const readFixtureFolder = (p: string) => readdirSync(path.join(fixtures, p)).map((f) => readFixture(`${p}/${f}`));

/** A native engine with `files` loaded, which must load without an error. */
export async function loadFixtures(files: { name: string; bytes: Uint8Array }[]) {
  const engine = await Engine.create(await openNodeDuckDb());
  const report = await engine.load(files);
  expect(report.errors).toEqual([]);
  return { engine, report };
}
