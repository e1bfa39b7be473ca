import { atom, isAtom, type Atom, type Term } from '../etf/term';
import type { ZipEntry } from '../zip';

/**
 * `facts/structs.etf` (format 4): `[%{module: mod, fields: [field]}]`, the structs loaded on the recording node that
 * `inspect/1` prints as `%Mod{...}`, fields in definition order. Without it a struct whose module is not one of the
 * standard library's prints as the map it is (`%{__struct__: MyApp.User, ...}`), as inspect does where the module is
 * not loaded; with it, as the node printed it. Not needed to read the archive, so a malformed item is a warning
 * naming the entry and the item, and the rest is kept.
 */
export function structFieldsOf(t: Term, fileName: string, entry: ZipEntry, warnings: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const bad = (what: string) => warnings.push(`${fileName}: ${entry.name} (offset ${entry.offset}): ${what}; those structs print as maps`);
  if (!Array.isArray(t)) {
    bad('not a list');
    return out;
  }
  const moduleKey = atom('module');
  const fieldsKey = atom('fields');
  t.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m) || m instanceof Uint8Array || m.t !== 'map') return bad(`item ${i} is not a map`);
    const module = m.entries.find(([k]) => k === moduleKey)?.[1];
    const fields = m.entries.find(([k]) => k === fieldsKey)?.[1];
    if (module === undefined || !isAtom(module)) return bad(`item ${i}: module is not an atom`);
    if (!Array.isArray(fields) || !fields.every((f) => isAtom(f))) return bad(`item ${i}: fields is not a list of atoms`);
    out.set(
      module.name,
      fields.map((f) => (f as Atom).name),
    );
  });
  return out;
}
