/**
 * Raised for any bytes the decoder cannot accept: truncation, a bad tag, a
 * length that overruns the input, an invalid UTF-8 atom. `offset` is the byte
 * offset (in the caller's array) where the problem was found, so an ingest log
 * can point at the event that broke.
 */
export class EtfError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`ETF: ${message}`);
    this.name = 'EtfError';
    this.offset = offset;
  }
}
