// The Avro wire values of fixture records, as the services put them on their topics.
import { canonicalize, digestOf } from '@lineage/protocol';
import type { Digest, RawEnvelope } from '@lineage/protocol';
import {
  attestationCodec,
  envelopeRecord,
  intentCodec,
  overrideCodec,
  policyCodec,
} from '@lineage/schemas';
import { allowAllPolicy } from './defaults.js';
import type { FixturePolicy } from './defaults.js';

/** The attestations-topic value of an attestation envelope. */
export function attestationValue(executionId: string, envelope: RawEnvelope): Buffer {
  return attestationCodec.encode({ execution_id: executionId, envelope: envelopeRecord(envelope) });
}

/** The policies-topic value of a fixture policy, as governance publishes it. */
export function policyValue(
  policy: FixturePolicy,
  activatedAt = '2025-01-01T00:00:00.000Z',
): Buffer {
  return policyCodec.encode({
    hash: digestOf(policy.document),
    id: policy.id,
    version: policy.version,
    document: canonicalize(policy.document),
    activated_at: activatedAt,
  });
}

/** An allow-everything policy and its policies-topic record (key: the hash). */
export interface PolicyRecord extends FixturePolicy {
  hash: Digest;
  /** Avro-encoded `PolicyDocument` record: the Kafka value. */
  value: Buffer;
}

/** The policy record of allow-everything policy `id` at `version`, activated at `activatedAt`. */
export function policyRecord(
  id: string,
  version: number,
  activatedAt = '2025-01-01T00:00:00.000Z',
): PolicyRecord {
  const policy = allowAllPolicy(id, version);
  return { ...policy, hash: digestOf(policy.document), value: policyValue(policy, activatedAt) };
}

/** The intents-topic value of an intent envelope and the parent attestations it carries. */
export function encodeIntent(
  executionId: string,
  envelope: RawEnvelope,
  parents: readonly RawEnvelope[] = [],
): Buffer {
  return intentCodec.encode({
    execution_id: executionId,
    envelope: envelopeRecord(envelope),
    parent_attestations: parents.map(envelopeRecord),
  });
}

/** The overrides-topic value of a resolution and the pending attestation it answers. */
export function encodeOverride(
  executionId: string,
  resolution: RawEnvelope,
  pending: RawEnvelope,
): Buffer {
  return overrideCodec.encode({
    execution_id: executionId,
    envelope: envelopeRecord(resolution),
    pending_attestation: envelopeRecord(pending),
  });
}

/** The hash-keyed policies-topic messages of fixture policies. */
export function policyMessages(
  policies: readonly FixturePolicy[],
  activatedAt?: string,
): { key: string; value: Buffer }[] {
  return policies.map((p) => ({ key: digestOf(p.document), value: policyValue(p, activatedAt) }));
}
