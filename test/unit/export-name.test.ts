import { describe, expect, test } from 'vitest';
import { exportName } from '../../src/ui/lib/export-name';

const day = new Date('2026-12-02T10:00:00Z');

describe('exportName', () => {
  test('archive without extension, the table the query reads, the day', () => {
    expect(exportName('bank.zip', 'SELECT * FROM calls WHERE latency_ns > 1e6', 'csv', day)).toBe('bank-calls-2026-12-02.csv');
    expect(exportName('bank.zip', 'select pid from\n  states', 'parquet', day)).toBe('bank-states-2026-12-02.parquet');
  });
  test('a name or check comment wins over the table', () => {
    expect(exportName('bank.zip', '-- name: Slow calls!\nSELECT * FROM calls', 'csv', day)).toBe('bank-slow-calls-2026-12-02.csv');
    expect(exportName('bank.zip', '-- check: every ping gets a reply\nSELECT 1 FROM calls', 'csv', day)).toBe('bank-every-ping-gets-a-reply-2026-12-02.csv');
  });
  test('several archives: the first; nothing loaded or no table: plain words; odd characters are replaced', () => {
    expect(exportName('a.zip+b.zip', 'SELECT 1', 'csv', day)).toBe('a-query-2026-12-02.csv');
    expect(exportName(null, 'SELECT * FROM events', 'csv', day)).toBe('otpscope-events-2026-12-02.csv');
    expect(exportName('my trace (1).zip', 'SELECT * FROM events -- FROM nothing', 'csv', day)).toBe('my_trace_1_-events-2026-12-02.csv');
  });
});
