import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Ed25519Verifier, Sha256, SignatureCheck, Signer } from '@lineage/protocol';
import { ed25519Thread } from './thread.js';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A node:crypto KeyObject for a raw 32-byte Ed25519 public key. */
export function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** A node:crypto KeyObject for a raw 32-byte Ed25519 seed. */
export function privateKeyObject(seed: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

/** The raw 32-byte public key of a private KeyObject. */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

/** SHA-256 with node:crypto (OpenSSL), the services' hashing primitive. */
export const nodeSha256: Sha256 = (bytes) => createHash('sha256').update(bytes).digest();

/** A cache of KeyObjects by raw public key; null for bytes that are no Ed25519 public key. */
function keyObjects(): (publicKey: Uint8Array) => KeyObject | null {
  const cache = new Map<string, KeyObject | null>();
  return (publicKey) => {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString(
      'base64',
    );
    let key = cache.get(id);
    if (key === undefined) {
      // A malformed public key is cached as unusable rather than re-parsed on every attempt.
      try {
        key = publicKey.length === 32 ? publicKeyObject(publicKey) : null;
      } catch {
        key = null;
      }
      if (cache.size > 10_000) cache.clear();
      cache.set(id, key);
    }
    return key;
  };
}

/**
 * Ed25519 verification with node:crypto (≈13× noble's speed). KeyObjects are created once per
 * distinct public key and cached, so the hot path does no key parsing.
 */
export function nodeEd25519(): Ed25519Verifier {
  const keyOf = keyObjects();
  return {
    verify(signature, message, publicKey) {
      const key = keyOf(publicKey);
      if (key === null || signature.length !== 64) return false;
      return verify(null, message, key, signature);
    },
  };
}

/**
 * A node:crypto signer over a private KeyObject. `signMany` signs a batch on the process's Ed25519
 * thread in one hop: the same bytes, since Ed25519 is deterministic.
 */
export function nodeSigner(key: KeyObject, keyid: string): Signer {
  return {
    keyid,
    sign: (message) => new Uint8Array(sign(null, message, key)),
    signMany: (messages) => ed25519Thread().sign(key, messages),
  };
}

/** What verified: a message under a public key (the memo's key is the signature). */
interface Verified {
  message: Uint8Array;
  publicKey: Uint8Array;
}

// Byte equality by memcmp.
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** A verifier that remembers what verified and can check a batch off the event loop ahead of use. */
export interface PrefetchingEd25519 extends Ed25519Verifier {
  /**
   * Verifies every check on the process's Ed25519 thread, in one message, and remembers the ones
   * that verified, so that `verify` answers them without work. Failures are not remembered:
   * `verify` checks them again and says false.
   */
  prefetch(checks: readonly SignatureCheck[]): Promise<void>;
}

/**
 * Remembers signatures that verified, so a grant or parent attestation carried by many intents is
 * checked once, and checks a batch's signatures on the Ed25519 thread ahead of its decisions
 * ({@link PrefetchingEd25519.prefetch}). A memo entry is the signature with the public key and
 * exact message that verified under it; a hit needs the same message byte for byte, which
 * Ed25519's determinism makes as good as verifying again. Only successes are kept (failures stay
 * cheap to recompute and cannot crowd the memo); the least recently used entry goes first once
 * `capacity` is reached.
 */
export function memoizedEd25519(inner: Ed25519Verifier, capacity = 50_000): PrefetchingEd25519 {
  const verified = new Map<string, Verified>();
  const idOf = (signature: Uint8Array) =>
    Buffer.from(signature.buffer, signature.byteOffset, signature.length).toString('base64');
  const remember = (id: string, message: Uint8Array, publicKey: Uint8Array) => {
    if (verified.size >= capacity) verified.delete(verified.keys().next().value!);
    verified.set(id, { message, publicKey });
  };
  const known = (id: string, message: Uint8Array, publicKey: Uint8Array) => {
    const v = verified.get(id);
    if (v === undefined || !same(v.publicKey, publicKey) || !same(v.message, message)) return false;
    // Most recently used last.
    verified.delete(id);
    verified.set(id, v);
    return true;
  };
  return {
    verify(signature, message, publicKey) {
      const id = idOf(signature);
      if (known(id, message, publicKey)) return true;
      if (!inner.verify(signature, message, publicKey)) return false;
      remember(id, message, publicKey);
      return true;
    },
    async prefetch(checks) {
      const unknown: { check: SignatureCheck; id: string }[] = [];
      for (const check of checks) {
        const id = idOf(check.signature);
        if (!known(id, check.message, check.publicKey)) unknown.push({ check, id });
      }
      if (unknown.length === 0) return;
      // One message to the Ed25519 thread however few: the event loop serves every partition, so
      // even one signature moved off it lets another partition's batch go on.
      const verified = await ed25519Thread().verify(unknown.map((u) => u.check));
      unknown.forEach(({ check, id }, i) => {
        if (verified[i] === true) remember(id, check.message, check.publicKey);
      });
    },
  };
}
