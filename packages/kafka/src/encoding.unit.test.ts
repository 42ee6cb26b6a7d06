import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

// The project's kafkajs patch makes its protocol encoder a rope (large parts kept by reference)
// and its CRC-32C slicing-by-8. These tests hold both to the bytes the unpatched code wrote.
const require = createRequire(import.meta.url);
interface Encoder {
  writeInt8(v: number): Encoder;
  writeInt32(v: number): Encoder;
  writeBytes(b: Buffer): Encoder;
  writeBuffer(b: Buffer): Encoder;
  writeEncoder(e: Encoder): Encoder;
  writeArray(a: Encoder[], type: 'object'): Encoder;
  size(): number;
  readonly buffer: Buffer;
}
const Encoder = require('kafkajs/src/protocol/encoder') as new () => Encoder;
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as ((b: Buffer) => number) & {
  parts(parts: Buffer[]): number;
};

// Bit by bit, the reflected Castagnoli polynomial: the definition the tables are derived from.
function referenceCrc32C(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

const int32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};

describe('the patched kafkajs encoding', () => {
  it('CRC-32C matches RFC 3720 check values and the bitwise definition, whole or in parts', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32C(Buffer.alloc(32))).toBe(0x8a9136aa);
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(i * 7);
      const cut = Math.floor(Math.random() * bytes.length);
      const want = referenceCrc32C(bytes);
      expect(crc32C(bytes)).toBe(want);
      expect(crc32C.parts([bytes.subarray(0, cut), bytes.subarray(cut)])).toBe(want);
    }
  });

  it('nested encoders give the bytes of their parts in order, whatever is kept by reference', () => {
    for (let t = 0; t < 300; t++) {
      const parent = new Encoder();
      const expected: Buffer[] = [];
      for (let i = 0; i < 12; i++) {
        const bytes = randomBytes(Math.floor(Math.random() * 3000));
        const kind = i % 3;
        if (kind === 0) {
          parent.writeBytes(bytes);
          expected.push(int32(bytes.length), bytes);
        } else if (kind === 1) {
          const child = new Encoder().writeInt32(7).writeBuffer(bytes).writeInt8(1);
          parent.writeArray([child, new Encoder().writeInt8(2)], 'object');
          expected.push(int32(2), int32(7), bytes, Buffer.from([1, 2]));
        } else {
          parent.writeInt32(i);
          expected.push(int32(i));
        }
      }
      const want = Buffer.concat(expected);
      expect(parent.size()).toBe(want.length);
      expect(parent.buffer.equals(want)).toBe(true);
      // Writing on after the bytes were joined appends.
      parent.writeInt8(3);
      expect(parent.buffer.equals(Buffer.concat([want, Buffer.from([3])]))).toBe(true);
    }
  });
});
