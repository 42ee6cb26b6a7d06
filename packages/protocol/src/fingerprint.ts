import { digestOf } from './digest.js';
import type { Digest } from './ids.js';
import type { PolicyRef } from './statement.js';

/**
 * The execution fingerprint: the semantic identity of a governance decision.
 *
 *   fingerprint = SHA-256( JCS({ "intent": <intent digest>, "policy": { "hash", "id", "version" } }) )
 *
 * where the intent digest is the SHA-256 of the canonical intent payload (which contains the
 * execution id) and JCS is RFC 8785. The same intent under the same pinned policy always has the
 * same fingerprint; any change to either changes it.
 */
export function executionFingerprint(intentDigest: Digest, policy: PolicyRef): Digest {
  return digestOf({
    intent: intentDigest,
    policy: { hash: policy.hash, id: policy.id, version: policy.version },
  });
}
