import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bytesEqual,
  concatBytes,
  fromBase64,
  fromHex,
  fromUtf8,
  toBase64,
  toHex,
  utf8,
} from '../index.js';
import { errorOf } from '@lineage/testkit';

const BAD_BASE64 = { type: 'EncodingError', code: 'BAD_BASE64' };
const BAD_HEX = { type: 'EncodingError', code: 'BAD_HEX' };

describe('base64 (RFC 4648 §4, padded)', () => {
  it('round-trips every length 0..70 and agrees with Buffer', () => {
    for (let n = 0; n <= 70; n++) {
      const bytes = new Uint8Array(crypto.randomBytes(n));
      const text = toBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(fromBase64(text))).toEqual(Array.from(bytes));
    }
  });

  it('encodes every byte value in every position', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    for (let shift = 0; shift < 3; shift++) {
      const bytes = all.subarray(shift);
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      expect(toHex(fromBase64(Buffer.from(bytes).toString('base64')))).toBe(toHex(bytes));
    }
  });

  it('RFC 4648 §10 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(toBase64(utf8(plain))).toBe(encoded);
      expect(fromUtf8(fromBase64(encoded))).toBe(plain);
    }
  });

  const refusals: [string, string][] = [
    ['a length that is not a multiple of 4', 'Zm9vY'],
    ['missing padding', 'Zg'],
    ['missing one padding character', 'Zg='],
    ['too much padding', 'Zm8=='],
    ['a padding character alone', '===='],
    ['three padding characters', 'Z==='],
    ['"=" in the middle', 'Zg==Zg=='],
    ['"=" inside a quantum', 'Zm=v'],
    ['the URL-safe alphabet (-)', 'Zm-v'],
    ['the URL-safe alphabet (_)', 'Zm_v'],
    ['whitespace', 'Zm9v Zm9v'],
    ['a newline', 'Zm9v\nZm9v'],
    ['a non-ASCII character', 'Zm9\u00e9'],
    ['a character above 0xFF', 'Zm9\u20ac'],
    ['a NUL', 'Zm9\u0000'],
    ['non-zero padding bits with two "="', 'Zh=='],
    ['non-zero padding bits with one "="', 'Zm9='],
  ];
  it.each(refusals)('refuses %s (BAD_BASE64)', (_what, text) => {
    expect(errorOf(() => fromBase64(text))).toEqual(BAD_BASE64);
  });

  it('each refused text with non-zero padding bits decodes to the same bytes as a canonical one', () => {
    // Without the padding-bit rule, "Zh==" and "Zg==" would both mean "f": two texts, one byte string.
    expect(Buffer.from('Zh==', 'base64').toString()).toBe('f');
    expect(fromUtf8(fromBase64('Zg=='))).toBe('f');
  });

  it('refuses non-strings (BAD_BASE64), never a TypeError', () => {
    for (const v of [undefined, null, 42, ['Zg=='], { length: 4 }]) {
      expect(errorOf(() => fromBase64(v as unknown as string))).toEqual(BAD_BASE64);
    }
  });
});

describe('hex', () => {
  it('round-trips random bytes and agrees with Buffer', () => {
    for (let n = 0; n <= 70; n++) {
      const bytes = new Uint8Array(crypto.randomBytes(n));
      const text = toHex(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('hex'));
      expect(Array.from(fromHex(text))).toEqual(Array.from(bytes));
    }
  });

  it('encodes every byte value as two lowercase digits', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    expect(toHex(all)).toBe(Buffer.from(all).toString('hex'));
  });

  const refusals: [string, unknown][] = [
    ['odd length', 'abc'],
    ['upper case', 'AB'],
    ['a non-hex letter', 'zz'],
    ['a 0x prefix', '0x00'],
    ['whitespace', '00 11'],
    ['a sign', '-1'],
    ['a non-string', 12],
    ['null', null],
  ];
  it.each(refusals)('refuses %s (BAD_HEX)', (_what, text) => {
    expect(errorOf(() => fromHex(text as string))).toEqual(BAD_HEX);
  });
});

describe('utf8 / fromUtf8', () => {
  it('round-trips text with every plane', () => {
    const text = 'a\u0000é€😀\ufffd\u2028';
    expect(fromUtf8(utf8(text))).toBe(text);
    expect(toHex(utf8(text))).toBe(Buffer.from(text, 'utf8').toString('hex'));
  });

  it('keeps a leading byte order mark instead of stripping it', () => {
    expect(fromUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa');
  });

  it('refuses invalid UTF-8 (NOT_UTF8) instead of substituting U+FFFD', () => {
    for (const bad of [
      [0xff],
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
    ]) {
      expect(errorOf(() => fromUtf8(new Uint8Array(bad)))).toEqual({
        type: 'EncodingError',
        code: 'NOT_UTF8',
      });
    }
  });
});

describe('concatBytes / bytesEqual', () => {
  it('concatenates in order', () => {
    expect(
      Array.from(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3]))),
    ).toEqual([1, 2, 3]);
    expect(concatBytes().length).toBe(0);
  });

  it('compares by content and length', () => {
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
    expect(bytesEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
