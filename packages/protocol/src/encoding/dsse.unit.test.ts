import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ATTESTATION_PAYLOAD_TYPE,
  fromDsse,
  fromUtf8,
  pae,
  signEnvelope,
  toDsse,
  utf8,
} from '../index.js';
import type { DsseEnvelope, RawEnvelope } from '../index.js';
import { errorOf, nodePublicKey, readVector, testKey } from '@lineage/testkit';

interface PaeVector {
  payload_type: string;
  payload_utf8: string;
  pae_utf8: string;
  envelope: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
  ecdsa_p256_public_key: { x: string; y: string };
}
const dsse = readVector<{ source: string; vectors: PaeVector[] }>('dsse-pae.json');
const MALFORMED = { type: 'VerificationError', code: 'ENVELOPE_MALFORMED' };

describe('DSSE PAE (test/vectors/dsse-pae.json)', () => {
  it('the vector file cites the DSSE spec', () => {
    expect(dsse.source).toMatch(/secure-systems-lab\/dsse protocol\.md/);
    expect(dsse.vectors.length).toBeGreaterThan(0);
  });

  it.each(dsse.vectors)('PAE($payload_type, $payload_utf8) is the spec bytes', (v) => {
    expect(fromUtf8(pae(v.payload_type, utf8(v.payload_utf8)))).toBe(v.pae_utf8);
  });

  it.each(dsse.vectors)(
    'the spec example signature verifies over our PAE bytes (ECDSA P-256, node:crypto)',
    (v) => {
      const b64url = (n: string) =>
        Buffer.from(BigInt(n).toString(16).padStart(64, '0'), 'hex').toString('base64url');
      const key = crypto.createPublicKey({
        key: {
          kty: 'EC',
          crv: 'P-256',
          x: b64url(v.ecdsa_p256_public_key.x),
          y: b64url(v.ecdsa_p256_public_key.y),
        },
        format: 'jwk',
      });
      const sig = Buffer.from(v.envelope.signatures[0]!.sig, 'base64');
      const message = pae(
        v.envelope.payloadType,
        new Uint8Array(Buffer.from(v.envelope.payload, 'base64')),
      );
      expect(crypto.verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
      expect(
        crypto.verify(
          'sha256',
          pae(v.envelope.payloadType, utf8('hello world!')),
          { key, dsaEncoding: 'ieee-p1363' },
          sig,
        ),
      ).toBe(false);
    },
  );

  it('lengths are byte counts of the UTF-8, not character counts', () => {
    expect(fromUtf8(pae('é', utf8('€😀')))).toBe('DSSEv1 2 é 7 €😀');
  });

  it('an empty payload', () => {
    expect(fromUtf8(pae(ATTESTATION_PAYLOAD_TYPE, new Uint8Array(0)))).toBe(
      'DSSEv1 28 application/vnd.in-toto+json 0 ',
    );
  });

  it('binary payload bytes are carried verbatim', () => {
    const payload = new Uint8Array(crypto.randomBytes(300));
    const out = pae('t', payload);
    const prefix = utf8('DSSEv1 1 t 300 ');
    expect(Array.from(out.subarray(0, prefix.length))).toEqual(Array.from(prefix));
    expect(Array.from(out.subarray(prefix.length))).toEqual(Array.from(payload));
  });

  it('type and body cannot be shifted into each other (the lengths disambiguate)', () => {
    // A naive "type SP body" encoding would give "a b c" for both.
    expect(fromUtf8(pae('a b', utf8('c')))).toBe('DSSEv1 3 a b 1 c');
    expect(fromUtf8(pae('a', utf8('b c')))).toBe('DSSEv1 1 a 3 b c');
  });
});

describe('signEnvelope', () => {
  it('signs PAE(type, payload) with the signer and records its keyid', () => {
    const key = testKey();
    const env = signEnvelope('application/x-test', utf8('{"a":1}'), key.signer);
    expect(env.payload_type).toBe('application/x-test');
    expect(env.signatures).toHaveLength(1);
    expect(env.signatures[0]!.keyid).toBe(key.keyid);
    const pub = nodePublicKey(key.publicKey);
    expect(
      crypto.verify(null, pae('application/x-test', utf8('{"a":1}')), pub, env.signatures[0]!.sig),
    ).toBe(true);
    expect(crypto.verify(null, utf8('{"a":1}'), pub, env.signatures[0]!.sig)).toBe(false);
  });
});

describe('toDsse / fromDsse', () => {
  const sample = (n: number): RawEnvelope => ({
    payload_type: ATTESTATION_PAYLOAD_TYPE,
    payload: new Uint8Array(crypto.randomBytes(n)),
    signatures: Array.from({ length: (n % 3) + 1 }, (_, i) => ({
      keyid: `key-${i}`,
      sig: new Uint8Array(crypto.randomBytes(64)),
    })),
  });

  it('round-trips through JSON text for payloads of 0..40 bytes', () => {
    for (let n = 0; n <= 40; n++) {
      const env = sample(n);
      const json = JSON.parse(JSON.stringify(toDsse(env))) as unknown;
      const back = fromDsse(json);
      expect(back.payload_type).toBe(env.payload_type);
      expect(Buffer.from(back.payload).equals(Buffer.from(env.payload))).toBe(true);
      expect(back.signatures.map((s) => [s.keyid, Buffer.from(s.sig).toString('hex')])).toEqual(
        env.signatures.map((s) => [s.keyid, Buffer.from(s.sig).toString('hex')]),
      );
    }
  });

  it('uses the DSSE JSON field names and standard base64', () => {
    const env: RawEnvelope = {
      payload_type: 't',
      payload: utf8('hello world'),
      signatures: [{ keyid: 'k', sig: new Uint8Array([0xfb, 0xff]) }],
    };
    expect(toDsse(env)).toEqual({
      payloadType: 't',
      payload: 'aGVsbG8gd29ybGQ=',
      signatures: [{ keyid: 'k', sig: '+/8=' }],
    });
  });

  it('reads the DSSE spec example envelope once it carries a keyid', () => {
    const spec = dsse.vectors[0]!.envelope;
    const env = fromDsse({
      ...spec,
      signatures: spec.signatures.map((s) => ({ ...s, keyid: '' })),
    });
    expect(fromUtf8(env.payload)).toBe('hello world');
    expect(env.payload_type).toBe('http://example.com/HelloWorld');
    expect(env.signatures[0]!.sig.length).toBe(64);
  });

  const good: DsseEnvelope = {
    payloadType: 't',
    payload: 'aGVsbG8=',
    signatures: [{ keyid: 'k', sig: 'AAAA' }],
  };
  const junk: [string, unknown][] = [
    ['null', null],
    ['a string', 'envelope'],
    ['a number', 42],
    ['an array', [good]],
    ['an empty object', {}],
    ['a missing payloadType', { ...good, payloadType: undefined }],
    ['a numeric payloadType', { ...good, payloadType: 1 }],
    ['an over-long payloadType', { ...good, payloadType: 'x'.repeat(257) }],
    ['a missing payload', { ...good, payload: undefined }],
    ['a payload that is not base64', { ...good, payload: 'not base64!' }],
    ['a payload with non-zero base64 padding bits', { ...good, payload: 'aGVsbG9=' }],
    ['a payload given as bytes', { ...good, payload: [104, 105] }],
    ['missing signatures', { ...good, signatures: undefined }],
    ['signatures as an object', { ...good, signatures: { keyid: 'k', sig: 'AAAA' } }],
    ['a null signature', { ...good, signatures: [null] }],
    ['a signature without sig', { ...good, signatures: [{ keyid: 'k' }] }],
    ['a signature that is not base64', { ...good, signatures: [{ keyid: 'k', sig: '****' }] }],
    ['a numeric keyid', { ...good, signatures: [{ keyid: 7, sig: 'AAAA' }] }],
    ['an over-long keyid', { ...good, signatures: [{ keyid: 'k'.repeat(257), sig: 'AAAA' }] }],
    ['an over-long signature', { ...good, signatures: [{ keyid: 'k', sig: 'A'.repeat(260) }] }],
    [
      '17 signatures',
      { ...good, signatures: Array.from({ length: 17 }, () => ({ keyid: 'k', sig: 'AAAA' })) },
    ],
  ];

  it('accepts the well-formed base case the junk is derived from', () => {
    expect(fromUtf8(fromDsse(good).payload)).toBe('hello');
  });

  it.each(junk)('refuses %s (ENVELOPE_MALFORMED)', (_what, value) => {
    expect(errorOf(() => fromDsse(value))).toEqual(MALFORMED);
  });
});
