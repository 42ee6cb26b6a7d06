import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

// @noble/ed25519 v3 needs a sync SHA-512 for its sync API (ARCHITECTURE.md §6).
ed.hashes.sha512 = sha512;

/**
 * The Ed25519 verify primitive the verifier is given. Services pass a node:crypto implementation
 * (KeyObjects created once); browsers and offline tools use {@link nobleEd25519}.
 */
export interface Ed25519Verifier {
  /** True when `signature` is a valid Ed25519 signature of `message` under the raw 32-byte key. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

/** One signature to check, as {@link Ed25519Verifier.verify} takes it. */
export interface SignatureCheck {
  signature: Uint8Array;
  message: Uint8Array;
  publicKey: Uint8Array;
}

/** Produces Ed25519 signatures with one private key. */
export interface Signer {
  readonly keyid: string;
  sign(message: Uint8Array): Uint8Array;
  /**
   * The same signatures of a batch of messages, in order, made off the caller's thread in one hop
   * where the platform can (services: one Ed25519 thread), so a batch's signatures run while the
   * caller goes on. Optional.
   */
  signMany?(messages: readonly Uint8Array[]): Promise<Uint8Array[]>;
}

/** Pure-JS Ed25519 verification in strict RFC 8032 mode (zip215 off), matching node:crypto. */
export const nobleEd25519: Ed25519Verifier = {
  verify(signature, message, publicKey) {
    // Malformed points or lengths make noble throw; for a verifier that is simply "invalid".
    try {
      return ed.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};

/** A signer over a raw 32-byte Ed25519 seed, in pure JS. Slow: for tools and tests, not services. */
export function nobleSigner(seed: Uint8Array, keyid: string): Signer {
  return { keyid, sign: (message) => ed.sign(message, seed) };
}

/** The raw 32-byte public key of a 32-byte Ed25519 seed. */
export function noblePublicKey(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

/**
 * False for encodings that are not points or are small-order points: with such a "public key",
 * signatures can be made without any private key, so a trust store must never hold one.
 */
export function isStrongPublicKey(raw: Uint8Array): boolean {
  try {
    return !ed.Point.fromBytes(raw, false).isSmallOrder();
  } catch {
    return false;
  }
}
