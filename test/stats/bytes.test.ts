import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelError } from '../../src/core/errors.js';
import { ByteReader } from '../../src/stats/bytes.js';

/** What a stored sketch must look like: the standard alphabet, then at most two '=' of padding. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const accepts = (s: string): boolean => {
  try {
    ByteReader.fromBase64(s, 'test');
    return true;
  } catch (e) {
    if (!isKeelError(e)) throw e;
    return false;
  }
};

const CHARS = [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  ...'=-_ \n\t.$\0é',
  '\u0100', // Buffer reads a UTF-16 unit by its low byte: this one would pass for 'A'
  '\u0141',
  '😀',
];
const char = fc.constantFrom(...CHARS);

describe('ByteReader.fromBase64', () => {
  it('accepts exactly the strict base64 strings, junk anywhere included', () => {
    const encoded = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64'));
    const strings = fc.oneof(
      encoded,
      // One character of a valid string replaced (or appended): the junk Buffer would skip.
      fc
        .tuple(encoded, fc.nat(), char)
        .map(([s, i, c]) => s.slice(0, i % (s.length + 1)) + c + s.slice((i % (s.length + 1)) + 1)),
      fc.array(char, { maxLength: 24 }).map((cs) => cs.join('')),
      fc.string({ unit: 'binary', maxLength: 12 }),
    );
    fc.assert(
      fc.property(strings, (s) => {
        expect(accepts(s)).toBe(BASE64.test(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes what it accepts to the bytes that were encoded', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = ByteReader.fromBase64(Buffer.from(bytes).toString('base64'), 'test');
        expect(r.remaining).toBe(bytes.length);
        expect([...r.bytes(bytes.length)]).toEqual([...bytes]);
      }),
    );
    expect(accepts(`${'A'.repeat(20_000)}\u0100AAA`)).toBe(false);
  });
});
