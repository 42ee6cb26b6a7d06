import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from './bytes.js';
import { canonicalBytes } from './canonical.js';
import type { Digest } from '../records/ids.js';

/** SHA-256 of bytes as lowercase hex. */
export function sha256Hex(bytes: Uint8Array): Digest {
  return toHex(sha256(bytes)) as Digest;
}

/** SHA-256 of the RFC 8785 canonical form of a value. Throws as `canonicalize`. */
export function digestOf(value: unknown): Digest {
  return sha256Hex(canonicalBytes(value));
}

/** SHA-256 raw bytes. */
export function sha256Bytes(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}
