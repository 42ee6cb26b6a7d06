import { digestOf } from '../encoding/digest.js';
import type { Sha256 } from '../encoding/digest.js';
import type { Digest } from './ids.js';
import type { PolicyRef } from './statement.js';

/**
 * The execution fingerprint: the semantic identity of a governance decision.
 *
 *   fingerprint = SHA-256( JCS({ "execution_id": <id>, "intent": <intent digest>,
 *                                "policy": { "hash", "id", "version" } }) )
 *
 * where the execution id is the one the decision is about (the attestation's subject name), the
 * intent digest is the SHA-256 of the canonical intent payload, and JCS is RFC 8785. Two decisions
 * share a fingerprint only if they share id, intent and policy — which governance answers as a
 * redelivery, never as a second decision — so each fingerprint is decided once, whatever the input.
 */
export function executionFingerprint(
  executionId: string,
  intentDigest: Digest,
  policy: PolicyRef,
  hash?: Sha256,
): Digest {
  return digestOf(
    {
      execution_id: executionId,
      intent: intentDigest,
      policy: { hash: policy.hash, id: policy.id, version: policy.version },
    },
    hash,
  );
}
