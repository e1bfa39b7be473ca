/** Rebuilds a real archive with some entries replaced, removed or added: hostile variants of a fixture. */
import { decodeTerm } from '../../src/archive/etf/decode';
import type { ErlMap, Term } from '../../src/archive/etf/term';
import { atom } from '../../src/archive/etf/term';
import { readZip } from '../../src/archive/zip';
import { buildZip, deflatedEntry } from './craft-zip';
import { encodeTerm } from './etf-encode';

/** `changes[name]`: new content, or null to drop the entry; names not in the archive are appended. */
export async function rewriteArchive(bytes: Uint8Array, changes: Record<string, Uint8Array | null>): Promise<Uint8Array> {
  const zip = readZip(bytes, 'fixture');
  const entries = [];
  const seen = new Set<string>();
  for (const e of zip.entries) {
    seen.add(e.name);
    const change = changes[e.name];
    if (change === null) continue;
    entries.push(deflatedEntry(e.name, change ?? (await e.data())));
  }
  for (const [name, content] of Object.entries(changes)) if (!seen.has(name) && content !== null) entries.push(deflatedEntry(name, content));
  return buildZip(entries);
}

/** An entry's ETF term, decoded with its binaries copied (safe to re-encode after edits). */
export async function entryTerm(bytes: Uint8Array, name: string): Promise<Term> {
  const e = readZip(bytes, 'fixture').entries.find((x) => x.name === name);
  if (e === undefined) throw new Error(`no entry ${name}`);
  return decodeTerm(await e.data(), 0, { copyBinaries: true });
}

/** A chunk map with one field set (or removed, with undefined), re-encoded. */
export function withField(chunk: Term, key: string, value: Term | undefined): Uint8Array {
  const m = chunk as ErlMap;
  const a = atom(key);
  const entries = m.entries.filter(([k]) => k !== a);
  if (value !== undefined) entries.push([a, value]);
  return encodeTerm({ t: 'map', entries });
}

export async function entryJson(bytes: Uint8Array, name: string): Promise<Record<string, unknown>> {
  const e = readZip(bytes, 'fixture').entries.find((x) => x.name === name)!;
  return JSON.parse(new TextDecoder().decode(await e.data())) as Record<string, unknown>;
}

export const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
