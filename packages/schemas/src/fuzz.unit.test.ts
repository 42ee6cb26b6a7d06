import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCodec } from './codec.js';
import { SchemaError } from './errors.js';
import type { SchemaErrorCode } from './errors.js';
import { registry } from './registry.js';

/** mulberry32: a small seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fixtureDir = new URL('../fixtures/', import.meta.url);
const seeds = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.bin'))
  .map((f) => readFileSync(new URL(f, fixtureDir)));
const headers = registry.versions().map((v) => registry.get(v.name, v.version).header);
const codecs = ['intent', 'attestation', 'dead-letter', 'envelope'].map((n) =>
  createCodec(registry, n),
);

describe('decoding arbitrary bytes', () => {
  it('yields a value or a SchemaError for 2,000 random and mutated buffers, never another exception', () => {
    const random = prng(0x11ea9e);
    const int = (n: number): number => Math.floor(random() * n);
    const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
    const outcomes = new Map<SchemaErrorCode | 'decoded', number>();

    const cases: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const seed = Buffer.from(pick(seeds));
      switch (i % 6) {
        case 0: // random bytes
          cases.push(bytes(int(64)));
          break;
        case 1: // a known header and a random body
          cases.push(Buffer.concat([pick(headers), bytes(int(300))]));
          break;
        case 2: // a valid record with a few bytes flipped (the header is left alone half the time)
          for (let k = 1 + int(4); k > 0; k--) {
            const at = i % 12 === 2 ? 10 + int(seed.length - 10) : int(seed.length);
            seed[at] = int(256);
          }
          cases.push(seed);
          break;
        case 3: // a valid record cut short
          cases.push(seed.subarray(0, int(seed.length)));
          break;
        case 4: // a valid record with bytes inserted
          cases.push(
            Buffer.concat([
              seed.subarray(0, (seed.length * random()) | 0),
              bytes(1 + int(8)),
              seed.subarray(int(seed.length)),
            ]),
          );
          break;
        default: // a valid record with a byte set to a large varint prefix
          seed[10 + int(seed.length - 10)] = 0x80 | int(128);
          cases.push(seed);
      }
    }

    for (const input of cases) {
      for (const codec of codecs) {
        let outcome: SchemaErrorCode | 'decoded';
        try {
          const value = codec.decode(input);
          // whatever decodes is a valid value that survives another round trip
          expect(codec.decode(codec.encode(value))).toEqual(value);
          outcome = 'decoded';
        } catch (e) {
          if (!(e instanceof SchemaError))
            throw new Error(`${codec.name} threw ${String(e)} on ${input.toString('hex')}`);
          outcome = e.code;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }

    // the corpus reaches every decoding outcome, so the loop above exercised each path
    expect([...outcomes.keys()].sort()).toEqual(
      [
        'BAD_MARKER',
        'INVALID_BODY',
        'TRAILING_BYTES',
        'TRUNCATED',
        'UNKNOWN_FINGERPRINT',
        'WRONG_SCHEMA',
        'decoded',
      ].sort(),
    );
  });
});
