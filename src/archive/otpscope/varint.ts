/** LEB128 readers for the archive's chunk columns (docs/FORMAT.md "Event chunks"). */
export class VarintReader {
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly column: string,
  ) {}

  /** Unsigned varint; numbers stay exact up to 2^53. */
  uint(): number {
    const b = this.bytes;
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= b.length) throw new RangeError(`column ${this.column}: varint runs past the end at byte ${this.pos}`);
      const byte = b[this.pos++];
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
      if (scale > 2 ** 63) throw new RangeError(`column ${this.column}: varint longer than 9 bytes at byte ${this.pos}`);
    }
  }

  /** Zigzag-decoded signed varint. */
  int(): number {
    return unzigzag(this.uint());
  }
}

/** Zigzag to signed: z is even for non-negative values, z / 2; odd for negative, -(z + 1) / 2 (exact in doubles up to 2^53). */
export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}
