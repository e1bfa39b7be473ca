import { describe, expect, test } from 'vitest';
import { hashAscii, hashString } from '../../src/archive/otpscope/hash';

const encoder = new TextEncoder();

describe('hashAscii', () => {
  // call_msgs_raw.tag_id is hashed from the tag's bytes as written into its column: it must be hashString's id.
  test('an ASCII text hashed from its UTF-8 bytes has the id hashString gives the string', () => {
    for (const s of ['', '#Reference<0.2273448146.3451453442.63032>', '{:ok, 1}', 'x'.repeat(1000)]) {
      const b = encoder.encode(`..${s}..`);
      expect(hashAscii(b, 2, b.length - 2)).toBe(hashString(s));
    }
  });

  test('is NaN for bytes of a non-ASCII text (its code units are not its bytes)', () => {
    const b = encoder.encode('#Reference<ñ>');
    expect(hashAscii(b, 0, b.length)).toBeNaN();
  });
});
