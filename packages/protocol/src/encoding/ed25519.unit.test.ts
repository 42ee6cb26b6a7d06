import crypto from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { nobleEd25519, noblePublicKey, nobleSigner, toHex } from '../index.js';
import {
  hex,
  nodeEd25519Verifier,
  nodePrivateKey,
  nodePublicKey,
  nodeSign,
  rawPublicKeyOf,
  readVector,
} from '@lineage/testkit';

interface Rfc8032Vector {
  name: string;
  secret_key: string;
  public_key: string;
  message_length: number;
  message: string;
  signature: string;
}
const rfc8032 = readVector<{ source: string; vectors: Rfc8032Vector[] }>('rfc8032-ed25519.json');

describe('RFC 8032 §7.1 Ed25519 test vectors', () => {
  it('the vector file cites its source and holds the five vectors', () => {
    expect(rfc8032.source).toMatch(/RFC 8032.*7\.1/);
    expect(rfc8032.vectors.map((v) => v.name)).toEqual([
      'TEST 1',
      'TEST 2',
      'TEST 3',
      'TEST 1024',
      'TEST SHA(abc)',
    ]);
    for (const v of rfc8032.vectors) expect(v.message.length).toBe(v.message_length * 2);
  });

  it('TEST SHA(abc) signs SHA-512("abc")', () => {
    const v = rfc8032.vectors.find((x) => x.name === 'TEST SHA(abc)')!;
    expect(v.message).toBe(crypto.createHash('sha512').update('abc').digest('hex'));
  });

  describe.each(rfc8032.vectors)('$name', (v) => {
    const seed = hex(v.secret_key);
    const message = hex(v.message);

    it('noble derives the public key and reproduces the signature', () => {
      expect(toHex(noblePublicKey(seed))).toBe(v.public_key);
      expect(toHex(nobleSigner(seed, 'k').sign(message))).toBe(v.signature);
    });

    it('noble accepts the signature and rejects it on another message', () => {
      expect(nobleEd25519.verify(hex(v.signature), message, hex(v.public_key))).toBe(true);
      const other = new Uint8Array([...message, 0]);
      expect(nobleEd25519.verify(hex(v.signature), other, hex(v.public_key))).toBe(false);
    });

    it('node:crypto (KeyObjects from raw keys) derives the public key and reproduces the signature', () => {
      const privateKey = nodePrivateKey(seed);
      expect(toHex(rawPublicKeyOf(privateKey))).toBe(v.public_key);
      expect(toHex(nodeSign(message, privateKey))).toBe(v.signature);
    });

    it('node:crypto accepts the signature and rejects a one-bit change', () => {
      const publicKey = nodePublicKey(hex(v.public_key));
      expect(crypto.verify(null, message, publicKey, hex(v.signature))).toBe(true);
      const sig = hex(v.signature);
      sig[10] = sig[10]! ^ 0x04;
      expect(crypto.verify(null, message, publicKey, sig)).toBe(false);
    });
  });
});

describe('noble and node:crypto agree (ARCHITECTURE.md §3.7: Ed25519 is deterministic)', () => {
  it('200 random seeds and messages: identical signatures, each accepted by the other library', () => {
    const node = nodeEd25519Verifier();
    for (let i = 0; i < 200; i++) {
      const seed = new Uint8Array(crypto.randomBytes(32));
      const message = new Uint8Array(
        crypto.randomBytes(i % 7 === 0 ? 0 : crypto.randomInt(1, 2048)),
      );
      const privateKey = nodePrivateKey(seed);
      const publicKey = noblePublicKey(seed);
      expect(toHex(rawPublicKeyOf(privateKey))).toBe(toHex(publicKey));
      const viaNoble = nobleSigner(seed, 'k').sign(message);
      const viaNode = nodeSign(message, privateKey);
      expect(toHex(viaNoble)).toBe(toHex(viaNode));
      expect(node.verify(viaNoble, message, publicKey)).toBe(true);
      expect(nobleEd25519.verify(viaNode, message, publicKey)).toBe(true);
    }
    expect(node.calls).toBe(200);
  });
});

describe('nobleEd25519 as a verifier of untrusted input', () => {
  const seed = new Uint8Array(32).fill(7);
  const publicKey = noblePublicKey(seed);
  const message = new TextEncoder().encode('message');
  const signature = nobleSigner(seed, 'k').sign(message);

  it('returns false, never throws, on wrong lengths and garbage', () => {
    expect(nobleEd25519.verify(signature.subarray(0, 63), message, publicKey)).toBe(false);
    expect(nobleEd25519.verify(new Uint8Array([...signature, 0]), message, publicKey)).toBe(false);
    expect(nobleEd25519.verify(signature, message, publicKey.subarray(0, 31))).toBe(false);
    expect(nobleEd25519.verify(new Uint8Array(64).fill(0xff), message, publicKey)).toBe(false);
    expect(nobleEd25519.verify(signature, message, new Uint8Array(32).fill(0xff))).toBe(false);
  });

  it('rejects S >= L (signature malleability), as node:crypto does', () => {
    const s = leToBig(signature.subarray(32)) + L;
    const malleated = new Uint8Array([...signature.subarray(0, 32), ...bigToLe(s)]);
    expect(nobleEd25519.verify(malleated, message, publicKey)).toBe(false);
    expect(crypto.verify(null, message, nodePublicKey(publicKey), malleated)).toBe(false);
  });

  // BUG (ed25519.ts): `ed.verify` is called without options, and @noble/ed25519 v3 defaults to
  // ZIP-215 semantics (it accepts non-canonical point encodings), although the comment above
  // nobleEd25519 promises the strict mode. A key holder can then make a signature that the
  // browser/offline verifier accepts and the services' node:crypto verifier rejects.
  // Fix: `ed.verify(signature, message, publicKey, { zip215: false })`.
  it('rejects a signature whose R is a non-canonical encoding, as node:crypto does', () => {
    const { publicKey: A, signature: sig, message: msg } = nonCanonicalRSignature(seed);
    // The construction is a valid signature under lenient (ZIP-215) decoding, so only the encoding rule decides.
    expect(ed.verify(sig, msg, A, { zip215: true })).toBe(true);
    expect(crypto.verify(null, msg, nodePublicKey(A), sig)).toBe(false);
    expect(nobleEd25519.verify(sig, msg, A)).toBe(false);
  });
});

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function leToBig(bytes: Uint8Array): bigint {
  return bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);
}

function bigToLe(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 255n);
    n >>= 8n;
  }
  return out;
}

/**
 * A signature only the key holder can make: R is the identity point encoded as y = p + 1 (the
 * canonical encoding is y = 1), nonce r = 0, S = k·a mod L. It satisfies the verification equation,
 * so only the canonical-encoding rule (RFC 8032 §5.1.3 decoding step 1: y must be < p) rejects it.
 */
function nonCanonicalRSignature(seed: Uint8Array): {
  publicKey: Uint8Array;
  signature: Uint8Array;
  message: Uint8Array;
} {
  const publicKey = noblePublicKey(seed);
  const h = sha512(seed);
  const a0 = h.slice(0, 32);
  a0[0] = a0[0]! & 248;
  a0[31] = (a0[31]! & 127) | 64;
  const a = leToBig(a0);
  const R = new Uint8Array(32).fill(0xff);
  R[0] = 0xee; // 2^255 - 18 = p + 1, little-endian
  R[31] = 0x7f;
  const message = new TextEncoder().encode('forged by the key holder');
  const k = leToBig(sha512(new Uint8Array([...R, ...publicKey, ...message]))) % L;
  return { publicKey, signature: new Uint8Array([...R, ...bigToLe((k * a) % L)]), message };
}
