import { Bool, Dictionary, Field, Int32, Int64, Float64, RecordBatch, Schema, Struct, Utf8, Vector, makeData } from 'apache-arrow';
import { IpcOut } from './ipc-out';
import type { ByteOut } from '../../archive/render/elixir-bytes';

/**
 * Growable typed columns that turn into one Arrow IPC stream without going
 * through `vectorFromArray` (which boxes every value and was ~15x slower).
 * Strings are UTF-8 encoded straight into one growing buffer per column.
 */
export type ColumnType = 'i64' | 'i32' | 'f64' | 'str' | 'bool';
export type ColumnSpec = Record<string, ColumnType>;

const encoder = new TextEncoder();
const STR = 0;
const I64 = 1;
const NUM = 2;

class I64Column {
  data: BigInt64Array;
  constructor(rows: number) {
    this.data = new BigInt64Array(rows);
    this.words = new Int32Array(this.data.buffer);
  }
  /** The same buffer as 32-bit words, so safe-integer numbers are stored without allocating a BigInt. */
  words: Int32Array;
  valid: Uint8Array | null = null;
  push(v: bigint | null, i: number) {
    if (i === this.data.length) this.grow();
    if (v === null) this.setNull(i);
    else this.data[i] = v;
  }
  pushNumber(v: number, i: number) {
    if (i === this.data.length) this.grow();
    const hi = Math.floor(v / 4294967296);
    this.words[2 * i] = (v - hi * 4294967296) | 0;
    this.words[2 * i + 1] = hi | 0;
  }
  setNull(i: number) {
    this.valid = ensureValid(this.valid, i, this.data.length);
    clearBit(this.valid, i);
  }
  private grow() {
    this.data = grow(this.data, BigInt64Array) as BigInt64Array;
    this.words = new Int32Array(this.data.buffer);
  }
}

class NumColumn<T extends Int32Array | Float64Array> {
  valid: Uint8Array | null = null;
  constructor(
    public data: T,
    private readonly ctor: { new (n: number): T },
  ) {}
  push(v: number | null, i: number) {
    if (i === this.data.length) this.data = grow(this.data, this.ctor) as T;
    if (v === null) {
      this.valid = ensureValid(this.valid, i, this.data.length);
      clearBit(this.valid, i);
    } else this.data[i] = v;
  }
}

class StrColumn implements ByteOut {
  offsets: Int32Array;
  bytes: Uint8Array;
  used = 0;
  constructor(rows = 1024, bytes = 1 << 16) {
    this.offsets = new Int32Array(rows + 1);
    this.bytes = new Uint8Array(bytes);
  }
  valid: Uint8Array | null = null;
  push(v: string | null, i: number) {
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, Int32Array) as Int32Array;
    if (v !== null) {
      // UTF-8 needs at most 3 bytes per UTF-16 unit; encode straight into the buffer.
      this.reserve(v.length * 3);
      this.used = v.length <= ASCII_COPY_MAX ? writeAscii(v, this.bytes, this.used) : this.used + encoder.encodeInto(v, this.bytes.subarray(this.used)).written;
    } else {
      this.valid = ensureValid(this.valid, i, this.offsets.length);
      clearBit(this.valid, i);
    }
    this.offsets[i + 1] = this.used;
  }
  reserve(n: number): void {
    const need = this.used + n;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.bytes.subarray(0, this.used));
    this.bytes = b;
  }
  /** Ends row \`i\`, whose bytes were written from the previous row's end to \`used\`. */
  end(i: number): void {
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, Int32Array) as Int32Array;
    this.offsets[i + 1] = this.used;
  }
  /** Appends as row \`i\` a copy of the bytes of the earlier row \`row\`. */
  copyRow(row: number, i: number): void {
    const from = this.offsets[row];
    const len = this.offsets[row + 1] - from;
    this.reserve(len);
    const b = this.bytes;
    const at = this.used;
    // Short texts (pids, nodes, kinds) by a loop: cheaper than a native call for a few bytes.
    if (len <= 32) for (let k = 0; k < len; k++) b[at + k] = b[from + k];
    else b.copyWithin(at, from, from + len);
    this.used = at + len;
    this.end(i);
  }
}

/**
 * A text column sent as an Arrow dictionary: each row an index into the
 * batch's distinct texts, each text encoded once. For the few-valued texts of
 * events_raw (node, kind, pids, MFAs) it sends about half of the table's text
 * bytes (its IPC: 181 -> ~140 B per ping-pong event) and replaces a string copy
 * per row by an integer; DuckDB stores the column as VARCHAR all the same.
 */
class DictColumn {
  indices: Int32Array;
  valid: Uint8Array | null = null;
  readonly values = new StrColumn();
  /** Each distinct text's index in `values`. */
  readonly ids = new Map<string, number>();
  /** The last text looked up and its id: rows often repeat the one before (a node, a process's own events). */
  last: string | null = null;
  lastId = -1;
  constructor(rows: number) {
    this.indices = new Int32Array(rows);
  }
  push(v: string | null, i: number) {
    this.pushId(v === null ? -1 : this.id(v), i);
  }
  id(v: string): number {
    if (v === this.last) return this.lastId;
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(v, id);
      this.values.push(v, id);
    }
    this.last = v;
    this.lastId = id;
    return id;
  }
  pushId(id: number, i: number) {
    if (i === this.indices.length) this.indices = grow(this.indices, Int32Array) as Int32Array;
    if (id < 0) {
      this.valid = ensureValid(this.valid, i, this.indices.length);
      clearBit(this.valid, i);
    } else this.indices[i] = id;
  }
}

/**
 * Texts up to this many UTF-16 units are copied by \`writeAscii\`. Rendered terms are ASCII but for a few; the
 * copy loop beats a native encodeInto call and its subarray, in Chromium by far (a 1M-event load's worker
 * profile: encodeInto 0.96 s with every text over 64 units going through it).
 */
const ASCII_COPY_MAX = 4096;

/** Copies ASCII text code unit by code unit; text with any other character is encoded by encodeInto. */
function writeAscii(v: string, bytes: Uint8Array, at: number): number {
  let p = at;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c > 0x7f) return at + encoder.encodeInto(v, bytes.subarray(at)).written;
    bytes[p++] = c;
  }
  return p;
}

function grow<T extends BigInt64Array | Int32Array | Float64Array>(a: T, ctor: { new (n: number): T }): T {
  const b = new ctor(a.length * 2);
  (b as { set(x: ArrayLike<unknown>): void }).set(a);
  return b;
}

function ensureValid(valid: Uint8Array | null, i: number, capacity: number): Uint8Array {
  const need = (Math.max(capacity, i + 1) + 7) >> 3;
  if (valid === null) {
    const v = new Uint8Array(need);
    v.fill(0xff);
    return v;
  }
  if (valid.length < need) {
    const v = new Uint8Array(need * 2);
    v.fill(0xff);
    v.set(valid);
    return v;
  }
  return valid;
}

/**
 * The validity bitmap for `n` rows. A bitmap is sized when its column first
 * meets a NULL; rows appended after it outgrew the bitmap, with no NULL among
 * them, are valid, so pad with set bits rather than reading past the end.
 */
function validity(valid: Uint8Array, n: number): Uint8Array {
  const need = (n + 7) >> 3;
  if (valid.length >= need) return valid.subarray(0, need);
  const v = new Uint8Array(need);
  v.fill(0xff);
  v.set(valid);
  return v;
}

function clearBit(bits: Uint8Array, i: number) {
  bits[i >> 3] &= ~(1 << (i & 7));
}

type Col = I64Column | NumColumn<Int32Array> | NumColumn<Float64Array> | StrColumn | DictColumn;
export type RowValue = bigint | number | string | boolean | null;

/** Rows appended column-wise; `toIPC()` returns an Arrow IPC stream for `insertArrowFromIPCStream`. */
export class ColumnBuilder<S extends ColumnSpec> {
  length = 0;
  private readonly cols: Col[];
  private readonly names: string[];
  private readonly types: ColumnType[];
  private readonly codes: number[];
  private out: IpcOut | undefined;
  /**
   * Per plain text column: the texts given an id by \`textId\` in this batch, and the row that first wrote each
   * (-1 before), whose bytes the text's later rows copy.
   */
  private readonly texts: string[][];
  private readonly textRows: number[][];

  /**
   * @param options.dictionary text columns sent as Arrow dictionaries (see DictColumn): for columns of few
   *   distinct values, and only for a database that reads them (DuckDB-WASM does; the native engine's insert does not)
   * @param options.rows rows to make room for at once (default 1024; it grows as needed). Room that no row
   *   uses costs nothing, while every time a column grows its new memory is touched again: a builder that is
   *   filled to a known batch size is best made that big to begin with.
   */
  constructor(
    readonly spec: S,
    options: { dictionary?: readonly (keyof S & string)[]; rows?: number } = {},
  ) {
    const rows = Math.max(options.rows ?? 1024, 16);
    this.names = Object.keys(spec);
    this.types = this.names.map((n) => spec[n]);
    this.codes = this.types.map((t) => (t === 'str' ? STR : t === 'i64' ? I64 : NUM));
    const dict = new Set<string>(options.dictionary ?? []);
    this.texts = this.names.map(() => []);
    this.textRows = this.names.map(() => []);
    this.cols = this.types.map((t, c) => {
      if (dict.has(this.names[c])) {
        if (t !== 'str') throw new Error(`column ${this.names[c]}: only text columns can be dictionaries`);
        return new DictColumn(rows);
      }
      switch (t) {
        case 'i64':
          return new I64Column(rows);
        case 'i32':
        case 'bool':
          return new NumColumn(new Int32Array(rows), Int32Array);
        case 'f64':
          return new NumColumn(new Float64Array(rows), Float64Array);
        case 'str':
          // Texts of ~50 bytes (terms) fit; longer ones grow it.
          return new StrColumn(rows, rows * 64);
      }
    });
  }

  /** Appends one row; values in the order of the spec's keys. */
  push(...values: RowValue[]): void {
    const i = this.length;
    const cols = this.cols;
    for (let c = 0; c < cols.length; c++) {
      const v = values[c];
      const col = cols[c];
      switch (this.codes[c]) {
        case STR:
          (col as StrColumn).push(v === undefined || v === null ? null : (v as string), i);
          break;
        case I64:
          if (typeof v === 'number') (col as I64Column).pushNumber(v, i);
          else (col as I64Column).push(v === undefined || v === null ? null : (v as bigint), i);
          break;
        default:
          (col as NumColumn<Int32Array>).push(v === undefined || v === null ? null : typeof v === 'boolean' ? (v ? 1 : 0) : (v as number), i);
      }
    }
    this.length++;
  }

  /**
   * Hot-path appends without the argument array of `push`: call one per column,
   * in spec order, then `endRow()`. `c` is the column's position in the spec.
   */
  str(c: number, v: string | null): void {
    (this.cols[c] as StrColumn).push(v, this.length);
  }

  /**
   * Plain text column \`c\`'s bytes, for the current row's text to be written into directly (UTF-8, from \`used\`
   * on); \`endText(c)\` then appends it. For texts made only to be stored (a term's rendering): no string.
   */
  textOut(c: number): ByteOut {
    return this.cols[c] as StrColumn;
  }

  endText(c: number): void {
    (this.cols[c] as StrColumn).end(this.length);
  }

  /** Appends to plain text column \`c\` a copy of the text of its row \`row\` (an earlier row of this batch). */
  copyText(c: number, row: number): void {
    const col = this.cols[c] as StrColumn;
    const from = col.offsets[row];
    const len = col.offsets[row + 1] - from;
    col.reserve(len);
    col.bytes.copyWithin(col.used, from, from + len);
    col.used += len;
    col.end(this.length);
  }

  /**
   * An id for text \`v\` in text column \`c\`, valid until the next \`reset\`: a caller that meets the same text
   * many times (a chunk's pid in every event) takes an id once and appends it with \`textOf\` per row. A plain
   * column does not look the text up (each call is a new id; a per-row caller only keeps more ids): its rows
   * repeat the text's bytes anyway, and hashing every distinct text of a batch (a reply's alias ref is one per
   * call) cost more than writing it.
   */
  textId(c: number, v: string): number {
    const col = this.cols[c];
    if (col instanceof DictColumn) return col.id(v);
    this.textRows[c].push(-1);
    return this.texts[c].push(v) - 1;
  }

  /**
   * Appends the text whose \`textId\` is \`id\` to column \`c\`; NULL when \`id\` is negative. A plain column encodes
   * the text at its first row and copies those bytes for the next ones.
   */
  textOf(c: number, id: number): void {
    const col = this.cols[c];
    if (col instanceof DictColumn) return col.pushId(id, this.length);
    const s = col as StrColumn;
    if (id < 0) return s.push(null, this.length);
    const rows = this.textRows[c];
    const row = rows[id];
    if (row >= 0) s.copyRow(row, this.length);
    else {
      rows[id] = this.length;
      s.push(this.texts[c][id], this.length);
    }
  }

  int64(c: number, v: bigint | number | null): void {
    const col = this.cols[c] as I64Column;
    if (typeof v === 'number') col.pushNumber(v, this.length);
    else col.push(v, this.length);
  }

  /** An int64 given as the (low, high) 32-bit words at `words[2 * i]` (see stream/event-store.ts), or NULL when `i < 0`. */
  int64Words(c: number, words: Int32Array, i: number): void {
    const col = this.cols[c] as I64Column;
    const n = this.length;
    if (n === col.data.length) col.push(0n, n);
    if (i < 0) col.setNull(n);
    else {
      col.words[2 * n] = words[2 * i];
      col.words[2 * n + 1] = words[2 * i + 1];
    }
  }

  /** An int64 given as its low (unsigned) and high (signed) 32-bit words, each a number in range. */
  int64Pair(c: number, lo: number, hi: number): void {
    const col = this.cols[c] as I64Column;
    const n = this.length;
    if (n === col.data.length) col.push(0n, n);
    col.words[2 * n] = lo | 0;
    col.words[2 * n + 1] = hi | 0;
  }

  /** Column \`c\` of the current row: \`from\`'s int64 in column \`fc\` of its last row (a copy of the words, no BigInt). */
  int64Of(c: number, from: ColumnBuilder<ColumnSpec>, fc: number): void {
    const col = this.cols[c] as I64Column;
    const n = this.length;
    if (n === col.data.length) col.push(0n, n);
    const v = (from.cols[fc] as I64Column).words;
    const j = from.length - 1;
    col.words[2 * n] = v[2 * j];
    col.words[2 * n + 1] = v[2 * j + 1];
  }

  /** Sets column \`c\` of the last row to \`from\`'s int64 in column \`fc\` of its last row (a copy of the words, no BigInt). */
  copyInt64(c: number, from: ColumnBuilder<ColumnSpec>, fc: number): void {
    const w = (this.cols[c] as I64Column).words;
    const v = (from.cols[fc] as I64Column).words;
    const i = this.length - 1;
    const j = from.length - 1;
    w[2 * i] = v[2 * j];
    w[2 * i + 1] = v[2 * j + 1];
  }

  num(c: number, v: number | null): void {
    (this.cols[c] as NumColumn<Int32Array>).push(v, this.length);
  }

  /** An integer id in an i32 column, NULL when negative (no id). */
  id(c: number, v: number): void {
    (this.cols[c] as NumColumn<Int32Array>).push(v < 0 ? null : v, this.length);
  }

  /** Copies row \`row\`'s int64 in column \`c\` as its two 32-bit words to \`words[2 * i]\` (see stream/event-store.ts): no BigInt. */
  copyInt64Words(c: number, row: number, words: Int32Array, i: number): void {
    const w = (this.cols[c] as I64Column).words;
    words[2 * i] = w[2 * row];
    words[2 * i + 1] = w[2 * row + 1];
  }

  endRow(): void {
    this.length++;
  }

  /** Empties the builder but keeps its buffers (the IPC bytes from `toIPC` are in a buffer of their own), so the next batch reuses the memory. */
  reset(): void {
    this.length = 0;
    for (const col of this.cols) {
      col.valid = null;
      if (col instanceof StrColumn) col.used = 0;
      if (col instanceof DictColumn) {
        col.ids.clear();
        col.values.used = 0;
        col.last = null;
      }
    }
    for (const t of this.texts) t.length = 0;
    for (const r of this.textRows) r.length = 0;
  }

  /**
   * The rows as one Arrow IPC stream. The bytes are a view of \`out\` (default: this builder's own), whose
   * buffer the next stream written to it reuses: insert them (or copy them) first.
   */
  toIPC(out: IpcOut = (this.out ??= new IpcOut())): Uint8Array {
    const n = this.length;
    const fields: Field[] = [];
    let bytes = 0;
    const children = this.cols.map((col, c) => {
      bytes += bufferBytes(col, n);
      const name = this.names[c];
      const t = this.types[c];
      const nullBitmap = col.valid ? validity(col.valid, n) : undefined;
      const nullCount = nullBitmap ? countNulls(nullBitmap, n) : 0;
      if (col instanceof DictColumn) {
        const v = col.values;
        const size = col.ids.size;
        const values = makeData({
          type: new Utf8(),
          length: size,
          nullCount: 0,
          valueOffsets: v.offsets.subarray(0, size + 1),
          data: v.bytes.subarray(0, v.used),
        });
        const type = new Dictionary(new Utf8(), new Int32());
        fields.push(new Field(name, type, true));
        return makeData({ type, length: n, nullCount, nullBitmap, data: col.indices.subarray(0, n), dictionary: new Vector([values]) });
      }
      if (col instanceof StrColumn) {
        const type = new Utf8();
        fields.push(new Field(name, type, true));
        return makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: col.offsets.subarray(0, n + 1), data: col.bytes.subarray(0, col.used) });
      }
      if (col instanceof I64Column) {
        const type = new Int64();
        fields.push(new Field(name, type, true));
        return makeData({ type, length: n, nullCount, nullBitmap, data: col.data.subarray(0, n) });
      }
      if (t === 'f64') {
        const type = new Float64();
        fields.push(new Field(name, type, true));
        return makeData({ type, length: n, nullCount, nullBitmap, data: (col.data as Float64Array).subarray(0, n) });
      }
      if (t === 'bool') {
        const type = new Bool();
        fields.push(new Field(name, type, true));
        const bits = new Uint8Array((n + 7) >> 3);
        const d = col.data as Int32Array;
        for (let i = 0; i < n; i++) if (d[i]) bits[i >> 3] |= 1 << (i & 7);
        return makeData({ type, length: n, nullCount, nullBitmap, data: bits });
      }
      const type = new Int32();
      fields.push(new Field(name, type, true));
      return makeData({ type, length: n, nullCount, nullBitmap, data: (col.data as Int32Array).subarray(0, n) });
    });
    const schema = new Schema(fields);
    const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
    return out.write(new RecordBatch(schema, struct), bytes);
  }
}

/** About how many bytes a column's first \`n\` rows take in IPC (values, offsets, validity). */
function bufferBytes(col: Col, n: number): number {
  const bits = (n + 7) >> 3;
  if (col instanceof StrColumn) return col.used + 4 * (n + 1) + bits;
  if (col instanceof DictColumn) return 4 * n + bits + col.values.used + 4 * (col.ids.size + 1);
  return 8 * n + bits;
}

function countNulls(bits: Uint8Array, n: number): number {
  let nulls = 0;
  for (let i = 0; i < n; i++) if ((bits[i >> 3] & (1 << (i & 7))) === 0) nulls++;
  return nulls;
}
