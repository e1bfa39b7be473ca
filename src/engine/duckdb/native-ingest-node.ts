import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, type DuckDBConnection } from '@duckdb/node-api';
import type { NativeColumn } from './native-protocol';

/** Bytes of one `duckdb_string_t` in a VARCHAR vector: a 4-byte length, then 12 bytes of text, or 4 bytes of prefix and a pointer. */
const STRING_T = 16;
/** Strings up to this long live inside their 16-byte record (DuckDB's "inlined" strings). */
const INLINE = 12;

/**
 * Appends batches of columns (Arrow's buffers, see NativeColumn) to a native DuckDB table through the appender,
 * one data chunk of 2048 rows at a time. Every column costs a couple of native calls per chunk, whatever its type:
 *
 * - fixed-width values and Arrow's validity bitmap (which has DuckDB's bit layout) are copied as whole buffers;
 * - strings are written as DuckDB's own 16-byte `duckdb_string_t` records, built here and copied in one go. Strings of
 *   up to 12 bytes sit inside their record. For longer ones, the chunk's whole text (Arrow keeps a column's strings
 *   back to back) is assigned to the vector as one string, so it lives in the vector's own string heap as long as
 *   the chunk, and their records point into it; the record of the row that carried it is then overwritten.
 *
 * Assigning strings one native call each (vector_assign_string_element_len) cost most of the insert time; see
 * README Performance for the measured alternatives (Parquet or CSV files read back by DuckDB).
 */
export async function appendColumns(conn: DuckDBConnection, table: string, batches: NativeColumn[][]): Promise<void> {
  // An appender opens its table in the `main` schema unless told otherwise, whatever the connection has `USE`d
  // (a comparison's recording B loads into schema `b`): name the connection's own.
  const [[catalog, schema]] = (await conn.runAndReadAll('SELECT current_database(), current_schema()')).getRows() as [string, string][];
  const app = await conn.createAppender(table, schema, catalog);
  try {
    const types = Array.from({ length: app.columnCount }, (_, i) => app.columnType(i));
    const size = duckdb.vector_size();
    // One chunk, reset for every 2048 rows: the appender copies what it is given.
    const chunk = DuckDBDataChunk.create(types);
    for (const columns of batches) {
      if (columns.length !== app.columnCount) throw new Error(`insert into ${table}: the batch has ${columns.length} columns, the table ${app.columnCount}`);
      const rows = columns.length === 0 ? 0 : columns[0].length;
      for (let start = 0; start < rows; start += size) {
        const n = Math.min(size, rows - start);
        duckdb.data_chunk_reset(chunk.chunk);
        for (let c = 0; c < columns.length; c++) fillVector(duckdb.data_chunk_get_vector(chunk.chunk, c), columns[c], start, n);
        chunk.rowCount = n;
        app.appendDataChunk(chunk);
      }
    }
    app.flushSync();
  } finally {
    app.closeSync();
  }
}

function fillVector(vector: duckdb.Vector, column: NativeColumn, start: number, n: number): void {
  const first = column.offset + start;
  const nulls = column.nulls;
  if (nulls !== null) {
    duckdb.vector_ensure_validity_writable(vector);
    const mask = validityBytes(nulls, first, n);
    duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer as ArrayBuffer, mask.byteOffset, mask.byteLength);
  }
  switch (column.kind) {
    case 'fixed': {
      const values = column.values;
      const width = values.BYTES_PER_ELEMENT;
      duckdb.copy_data_to_vector(vector, 0, values.buffer as ArrayBuffer, values.byteOffset + first * width, n * width);
      return;
    }
    case 'bool': {
      const bits = column.values;
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = (bits[(first + i) >> 3] >> ((first + i) & 7)) & 1;
      duckdb.copy_data_to_vector(vector, 0, bytes.buffer, 0, n);
      return;
    }
    case 'utf8':
      fillStrings(vector, column.offsets, column.bytes, nulls, first, n);
      return;
  }
}

/** The chunk's string records, reused: four 32-bit words each, in the machine's byte order as DuckDB reads them. */
let records = new Uint32Array(0);
const recordBytes = () => new Uint8Array(records.buffer);

function fillStrings(vector: duckdb.Vector, offsets: Int32Array, bytes: Uint8Array, nulls: Uint8Array | null, first: number, n: number): void {
  if (records.length < n * 4) records = new Uint32Array(n * 4);
  const words = records;
  const out = recordBytes();
  words.fill(0, 0, n * 4);
  const valid = (i: number) => nulls === null || (nulls[(first + i) >> 3] & (1 << ((first + i) & 7))) !== 0;
  const from = offsets[first];
  const to = offsets[first + n];
  let long = false;
  for (let i = 0; i < n && !long; i++) long = offsets[first + i + 1] - offsets[first + i] > INLINE;
  // Where the chunk's text starts in the vector's heap, as two 32-bit halves of the pointer.
  let low = 0;
  let high = 0;
  if (long) {
    // The chunk's whole text (longer than 12 bytes, since one string is), so DuckDB keeps it in the heap and the
    // record holds its address.
    duckdb.vector_assign_string_element_len(vector, 0, bytes.subarray(from, to));
    const record = new Uint32Array(duckdb.vector_get_data(vector, STRING_T).slice().buffer);
    low = record[2];
    high = record[3];
  }
  for (let i = 0; i < n; i++) {
    if (!valid(i)) continue;
    const s = offsets[first + i];
    const len = offsets[first + i + 1] - s;
    const w = i * 4;
    words[w] = len;
    const b = w * 4;
    if (len <= INLINE) {
      for (let j = 0; j < len; j++) out[b + 4 + j] = bytes[s + j];
      continue;
    }
    // The prefix: DuckDB compares strings by their first 4 bytes before following the pointer.
    out[b + 4] = bytes[s];
    out[b + 5] = bytes[s + 1];
    out[b + 6] = bytes[s + 2];
    out[b + 7] = bytes[s + 3];
    const lo = low + (s - from);
    words[w + 2] = lo >>> 0;
    words[w + 3] = high + (lo > 0xffffffff ? 1 : 0);
  }
  duckdb.copy_data_to_vector(vector, 0, out.buffer, 0, n * STRING_T);
}

/** Arrow's validity bits for rows [first, first + n), realigned to start at bit 0 (DuckDB's layout: 64-bit words, LSB first). */
function validityBytes(bitmap: Uint8Array, first: number, n: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(n / 64) * 8);
  if ((first & 7) === 0) {
    out.set(bitmap.subarray(first >> 3, (first >> 3) + Math.ceil(n / 8)));
    return out;
  }
  for (let i = 0; i < n; i++) if (bitmap[(first + i) >> 3] & (1 << ((first + i) & 7))) out[i >> 3] |= 1 << (i & 7);
  return out;
}
