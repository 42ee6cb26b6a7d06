import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from './bytes.js';
import { canonicalBytes } from './canonical.js';
import type { Digest } from '../records/ids.js';

/**
 * The SHA-256 primitive, a parameter like the Ed25519 one: pure JS by default ({@link nobleSha256},
 * browsers, offline tools); services pass node:crypto's (`nodeSha256` in @lineage/keys).
 */
export type Sha256 = (bytes: Uint8Array) => Uint8Array;

/** SHA-256 in pure JS (`@noble/hashes`). */
export const nobleSha256: Sha256 = (bytes) => sha256(bytes);

/** SHA-256 of bytes as lowercase hex. */
export function sha256Hex(bytes: Uint8Array, hash: Sha256 = nobleSha256): Digest {
  return toHex(hash(bytes)) as Digest;
}

/** SHA-256 of the RFC 8785 canonical form of a value. Throws as `canonicalize`. */
export function digestOf(value: unknown, hash: Sha256 = nobleSha256): Digest {
  return sha256Hex(canonicalBytes(value), hash);
}

/** SHA-256 raw bytes. */
export function sha256Bytes(bytes: Uint8Array, hash: Sha256 = nobleSha256): Uint8Array {
  return hash(bytes);
}
