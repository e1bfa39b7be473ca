/** Tag bytes of the External Term Format (erts `external.h`), and their names for error messages. */
export const VERSION_MAGIC = 131;

export const Tag = {
  NEW_FLOAT: 70,
  BIT_BINARY: 77,
  COMPRESSED: 80,
  ATOM_CACHE_REF: 82,
  NEW_PID: 88,
  NEW_PORT: 89,
  NEWER_REFERENCE: 90,
  SMALL_INTEGER: 97,
  INTEGER: 98,
  FLOAT: 99,
  ATOM: 100,
  REFERENCE: 101,
  PORT: 102,
  PID: 103,
  SMALL_TUPLE: 104,
  LARGE_TUPLE: 105,
  NIL: 106,
  STRING: 107,
  LIST: 108,
  BINARY: 109,
  SMALL_BIG: 110,
  LARGE_BIG: 111,
  NEW_FUN: 112,
  EXPORT: 113,
  NEW_REFERENCE: 114,
  SMALL_ATOM: 115,
  MAP: 116,
  FUN: 117,
  ATOM_UTF8: 118,
  SMALL_ATOM_UTF8: 119,
  V4_PORT: 120,
  LOCAL: 121,
} as const;

const names: Record<number, string> = {};
for (const [name, tag] of Object.entries(Tag)) names[tag] = `${name}_EXT`;

/** `SMALL_TUPLE_EXT (104)`, or `tag 7` for bytes that are not a tag. */
export function tagName(tag: number): string {
  const n = names[tag];
  return n === undefined ? `tag ${tag}` : `${n} (${tag})`;
}
