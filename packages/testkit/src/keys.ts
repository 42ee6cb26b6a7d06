// Ed25519 keys for tests, made with node:crypto on purpose: the services' primitive is what the pure
// verifier must agree with.
import crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { keyIdOf, sha256Hex, utf8 } from '@lineage/protocol';
import type { Ed25519Verifier, KeyId, Signer } from '@lineage/protocol';

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows (RFC 8410 §7). */
export const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** DER prefix of an SPKI Ed25519 public key; the raw 32-byte key follows (RFC 8410 §4). */
export const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A node:crypto private key for a 32-byte Ed25519 seed. */
export function nodePrivateKey(seed: Uint8Array): KeyObject {
  return crypto.createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

/** A node:crypto public key for a raw 32-byte Ed25519 public key. */
export function nodePublicKey(raw: Uint8Array): KeyObject {
  return crypto.createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
}

/** The raw 32-byte public key of a node KeyObject (public or private). */
export function rawPublicKeyOf(key: KeyObject): Uint8Array {
  const spki = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length));
}

/** An Ed25519 signature by a node KeyObject. */
export function nodeSign(message: Uint8Array, key: KeyObject): Uint8Array {
  return new Uint8Array(crypto.sign(null, message, key));
}

/** The services' Ed25519 primitive: node:crypto with KeyObjects created once per key; counts calls. */
export function nodeEd25519Verifier(): Ed25519Verifier & { calls: number } {
  const keys = new Map<string, KeyObject>();
  const verifier = {
    calls: 0,
    verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
      verifier.calls++;
      const id = Buffer.from(publicKey).toString('hex');
      let key = keys.get(id);
      if (!key) {
        key = nodePublicKey(publicKey);
        keys.set(id, key);
      }
      return crypto.verify(null, message, key, signature);
    },
  };
  return verifier;
}

/** A test key: its seed, raw public key, id, node private key and signer. */
export interface TestKey {
  seed: Uint8Array;
  publicKey: Uint8Array;
  keyid: KeyId;
  privateKey: KeyObject;
  signer: Signer;
}

/** A fresh (or seeded) Ed25519 key with a node:crypto signer. */
export function testKey(seed: Uint8Array = new Uint8Array(crypto.randomBytes(32))): TestKey {
  const privateKey = nodePrivateKey(seed);
  const publicKey = rawPublicKeyOf(privateKey);
  const keyid = keyIdOf(publicKey);
  return {
    seed,
    publicKey,
    keyid,
    privateKey,
    signer: { keyid, sign: (m) => nodeSign(m, privateKey) },
  };
}

/** The key whose seed is 32 copies of `byte`: the same key in every run. */
export function byteKey(byte: number): TestKey {
  return testKey(new Uint8Array(32).fill(byte));
}

/** The key whose seed is the SHA-256 of `label`: the same key in every run. */
export function labelledKey(label: string): TestKey {
  return testKey(new Uint8Array(Buffer.from(sha256Hex(utf8(label)), 'hex')));
}
