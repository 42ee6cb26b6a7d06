import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  attestationCodec,
  createCodec,
  deadLetterCodec,
  identify,
  intentCodec,
  schemaVersions,
} from './codec.js';
import type { Codec } from './codec.js';
import { codeOf } from './__fixtures__/code.js';
import { SchemaError } from './errors.js';
import type { SchemaErrorCode } from './errors.js';
import type {
  AttestationRecord,
  DeadLetterRecord,
  EnvelopeRecord,
  IntentRecord,
} from './records.js';
import { registry } from './registry.js';
import { fromTwin, toTwin } from './twin.js';
import type { Twin } from './twin.js';

// Avro binary building blocks, written out here so the tests do not depend on the encoder.
const long = (n: number | bigint): Buffer => {
  let z = BigInt.asUintN(64, (BigInt(n) << 1n) ^ (BigInt(n) < 0n ? -1n : 0n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
};
const str = (s: string): Buffer => Buffer.concat([long(Buffer.byteLength(s)), Buffer.from(s)]);
const header = (name: string): Buffer => registry.get(name).header;
const message = (name: string, ...parts: Buffer[]): Buffer =>
  Buffer.concat([header(name), ...parts]);

const envelope: EnvelopeRecord = {
  payload_type: 'application/vnd.in-toto+json',
  payload: Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}'),
  signatures: [
    { keyid: 'gov-1', sig: Buffer.alloc(64, 0xab) },
    { keyid: 'gov-2', sig: Buffer.alloc(0) },
  ],
};
const intent: IntentRecord = {
  execution_id: '0190f4d2-7c1e-7a3b-8f00-0000000000a1',
  envelope,
  parent_attestations: [envelope],
};
const attestation: AttestationRecord = { execution_id: intent.execution_id, envelope };
const deadLetter: DeadLetterRecord = {
  source_topic: 'lineage.intents.v1',
  source_partition: 3,
  source_offset: '9007199254740993',
  raw_key: null,
  raw_value: Buffer.from([0xde, 0xad]),
  reason: 'BAD_MARKER',
  detail: 'café ☃ 𝄞',
  failed_at: '2025-01-02T03:04:05.678Z',
};

describe('round trips', () => {
  it('intent, attestation and dead letter decode to what was encoded', () => {
    expect(intentCodec.decode(intentCodec.encode(intent))).toEqual(intent);
    expect(attestationCodec.decode(attestationCodec.encode(attestation))).toEqual(attestation);
    expect(deadLetterCodec.decode(deadLetterCodec.encode(deadLetter))).toEqual(deadLetter);
    const both = {
      ...deadLetter,
      raw_key: Buffer.from('k'),
      raw_value: null,
      source_partition: -(2 ** 31),
    };
    expect(deadLetterCodec.decode(deadLetterCodec.encode(both))).toEqual(both);
  });

  it('writes the single-object header: C3 01 and the fingerprint', () => {
    const bytes = intentCodec.encode(intent);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(bytes.subarray(2, 10).toString('hex')).toBe(intentCodec.fingerprint);
  });

  it('encodes records larger than the scratch buffer', () => {
    const big = { ...envelope, payload: Buffer.alloc(300_000, 1) };
    const value = { ...intent, envelope: big, parent_attestations: [big, big] };
    const bytes = intentCodec.encode(value);
    expect(bytes.length).toBeGreaterThan(900_000);
    const back = intentCodec.decode(bytes);
    // Buffer#equals: vitest's deep equality walks large buffers byte by byte
    expect(back.parent_attestations.map((e) => e.payload.equals(big.payload))).toEqual([
      true,
      true,
    ]);
    expect(back.envelope.payload.equals(big.payload)).toBe(true);
    expect(intentCodec.decode(intentCodec.encode(intent))).toEqual(intent);
  });

  it('accepts a plain Uint8Array view and returns bytes that do not alias the input', () => {
    const bytes = intentCodec.encode(intent);
    const copy = new Uint8Array(bytes.length + 4);
    copy.set(bytes, 4);
    const decoded = intentCodec.decode(copy.subarray(4));
    expect(decoded).toEqual(intent);
    copy.fill(0);
    expect(decoded.envelope.payload).toEqual(envelope.payload);
  });
});

describe('Apache Avro Java interop', () => {
  // Single-object messages written by Java's BinaryMessageEncoder (see the file's `source`).
  const { messages } = JSON.parse(
    readFileSync(new URL('../vectors/single-object.json', import.meta.url), 'utf8'),
  ) as {
    messages: { schema: string; version: number; label: string; value: Twin; hex: string }[];
  };

  it.each(messages)('$label: we decode Java bytes and encode the same bytes', (m) => {
    const codec = createCodec(registry, m.schema);
    const javaBytes = Buffer.from(m.hex, 'hex');
    expect(toTwin(codec.decode(javaBytes))).toEqual(m.value);
    expect(
      codec.encode(fromTwin(registry.get(m.schema, m.version).type, m.value)).toString('hex'),
    ).toBe(m.hex);
  });
});

describe('identify and schemaVersions', () => {
  it('tell which version wrote bytes, from the header', () => {
    expect(identify(attestationCodec.encode(attestation))).toMatchObject({
      name: 'attestation',
      version: 1,
    });
    expect(codeOf(() => identify(Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8])))).toBe(
      'UNKNOWN_FINGERPRINT',
    );
  });

  it('list each version once with the codec fingerprints', () => {
    const byName = new Map(schemaVersions().map((v) => [v.name, v.fingerprint]));
    expect(byName.get('intent')).toBe(intentCodec.fingerprint);
    expect(byName.get('attestation')).toBe(attestationCodec.fingerprint);
    expect(byName.get('dead-letter')).toBe(deadLetterCodec.fingerprint);
  });
});

describe('every error code', () => {
  const valid = intentCodec.encode(intent);
  const intentHead = [str('x'), str('t'), long(0)]; // execution_id, payload_type, empty payload

  it.each<[SchemaErrorCode, string, () => unknown]>([
    ['BAD_MARKER', 'another first byte', () => intentCodec.decode(Buffer.from([0x00, 0x01, 0, 0]))],
    ['BAD_MARKER', 'another second byte', () => intentCodec.decode(Buffer.from([0xc3, 0x02]))],
    ['BAD_MARKER', 'JSON', () => intentCodec.decode(Buffer.from('{"execution_id":"x"}'))],
    ['TRUNCATED', 'no bytes', () => intentCodec.decode(new Uint8Array())],
    ['TRUNCATED', 'a tombstone (null)', () => intentCodec.decode(null as unknown as Uint8Array)],
    ['TRUNCATED', 'half a marker', () => intentCodec.decode(Buffer.from([0xc3]))],
    ['TRUNCATED', 'half a fingerprint', () => intentCodec.decode(valid.subarray(0, 6))],
    ['TRUNCATED', 'header only', () => intentCodec.decode(valid.subarray(0, 10))],
    ['TRUNCATED', 'last byte cut', () => intentCodec.decode(valid.subarray(0, -1))],
    [
      'TRUNCATED',
      'bytes length past the end',
      () => intentCodec.decode(message('intent', str('x'), str('t'), long(2 ** 50))),
    ],
    [
      'UNKNOWN_FINGERPRINT',
      'a foreign fingerprint',
      () => intentCodec.decode(Buffer.from('c3010000000000000000', 'hex')),
    ],
    [
      'WRONG_SCHEMA',
      'an attestation',
      () => intentCodec.decode(attestationCodec.encode(attestation)),
    ],
    ['WRONG_SCHEMA', 'an intent', () => deadLetterCodec.decode(valid)],
    ['INVALID_BODY', 'a negative length', () => intentCodec.decode(message('intent', long(-5)))],
    [
      'INVALID_BODY',
      'invalid UTF-8',
      () => intentCodec.decode(message('intent', long(2), Buffer.from([0xff, 0xfe]))),
    ],
    [
      'INVALID_BODY',
      'an int beyond 32 bits',
      () =>
        deadLetterCodec.decode(
          message('dead-letter', str('t'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f])),
        ),
    ],
    [
      'INVALID_BODY',
      'a union index out of range',
      () => deadLetterCodec.decode(message('dead-letter', str('t'), long(0), str('0'), long(2))),
    ],
    [
      'INVALID_BODY',
      'a varint longer than 10 bytes',
      () => intentCodec.decode(message('intent', Buffer.alloc(11, 0x80), Buffer.from([0]))),
    ],
    [
      'INVALID_BODY',
      'a block size that does not match its items',
      () =>
        intentCodec.decode(
          message('intent', ...intentHead, long(-1), long(3), str('k'), str('s'), long(0), long(0)),
        ),
    ],
    [
      'TRAILING_BYTES',
      'a byte after the body',
      () => intentCodec.decode(Buffer.concat([valid, Buffer.from([0])])),
    ],
    [
      'INVALID_VALUE',
      'a missing field',
      () => intentCodec.encode({ execution_id: 'x', envelope } as unknown as IntentRecord),
    ],
    [
      'INVALID_VALUE',
      'a string for bytes',
      () =>
        intentCodec.encode({
          ...intent,
          envelope: { ...envelope, payload: '{}' as unknown as Buffer },
        }),
    ],
    [
      'INVALID_VALUE',
      'an undeclared field',
      () => attestationCodec.encode({ ...attestation, grant: 'x' } as AttestationRecord),
    ],
    [
      'INVALID_VALUE',
      'an int out of range',
      () => deadLetterCodec.encode({ ...deadLetter, source_partition: 2 ** 31 }),
    ],
    [
      'INVALID_VALUE',
      'not an object',
      () => deadLetterCodec.encode(null as unknown as DeadLetterRecord),
    ],
  ])('%s: %s', (code, _label, run) => {
    expect(codeOf(run)).toBe(code);
  });

  it('names the offending path when encoding fails', () => {
    const bad = {
      ...intent,
      parent_attestations: [envelope, { ...envelope, signatures: [{ keyid: 1 }] }],
    };
    try {
      intentCodec.encode(bad as unknown as IntentRecord);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SchemaError);
      expect((e as SchemaError).code).toBe('INVALID_VALUE');
      expect((e as SchemaError).message).toContain('parent_attestations.1.signatures.0');
    }
  });
});

describe('hostile lengths and counts', () => {
  // avsc alone sizes arrays from the declared count: this 20-byte message kills the process (OOM).
  it('rejects a huge array count without allocating', () => {
    const started = performance.now();
    const bytes = message('intent', str('x'), str('t'), long(0), long(0), long(2 ** 31 - 1));
    expect(codeOf(() => intentCodec.decode(bytes))).toBe('TRUNCATED');
    expect(
      codeOf(() =>
        intentCodec.decode(message('intent', str('x'), str('t'), long(0), long(2n ** 62n))),
      ),
    ).toBe('TRUNCATED');
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('reads arrays written as size-prefixed blocks (negative counts), as Java may write them', () => {
    const sig = Buffer.concat([str('k'), long(1), Buffer.from([9])]);
    const bytes = message(
      'intent',
      ...[str('x'), str('t'), long(0)],
      long(-1),
      long(sig.length),
      sig,
      long(0),
      long(0),
    );
    expect(intentCodec.decode(bytes).envelope.signatures).toEqual([
      { keyid: 'k', sig: Buffer.from([9]) },
    ]);
  });
});

describe('codecs', () => {
  it.each<[string, Codec<unknown>]>([
    ['intent', intentCodec as Codec<unknown>],
    ['attestation', attestationCodec as Codec<unknown>],
    ['dead-letter', deadLetterCodec as Codec<unknown>],
  ])('%s codec writes the latest version', (name, codec) => {
    expect(codec.name).toBe(name);
    expect(codec.version).toBe(registry.get(name).version);
    expect(codec.fingerprint).toBe(registry.get(name).fingerprint);
  });
});
