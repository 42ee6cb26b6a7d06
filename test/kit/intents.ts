import type { Producer } from 'kafkajs';
import { INTENT_PAYLOAD_TYPE, canonicalBytes, signEnvelope } from '@lineage/protocol';
import type { RawEnvelope, Signer } from '@lineage/protocol';
import { envelopeRecord, intentCodec, overrideCodec } from '@lineage/schemas';
import type { OverrideRecord } from '@lineage/schemas';
import { signIntent } from '@lineage/sdk';
import type { IntentDraft, SignedIntent } from '@lineage/sdk';
import { withGrant } from './authority.js';
import { TEST_RUNTIME } from './ledger.js';

/**
 * An intent signed by `signer` from a draft. A root draft that says nothing about `grant` carries
 * the default test grant for that agent (see {@link grantFor}); pass `grant: null` for none.
 */
export function intent(signer: Signer, draft: IntentDraft): SignedIntent {
  return signIntent(withGrant(signer.keyid, draft), signer, TEST_RUNTIME);
}

/** Re-signs an arbitrary (possibly malformed) body as an intent envelope. */
export function signBody(signer: Signer, body: unknown): RawEnvelope {
  return signEnvelope(INTENT_PAYLOAD_TYPE, canonicalBytes(body), signer);
}

/** The wire bytes of an intent record. */
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

/** Publishes raw records to the intents topic, keyed as given. */
export async function sendRaw(
  producer: Producer,
  topic: string,
  records: { key: string; value: Buffer | null }[],
): Promise<void> {
  await producer.send({ topic, acks: -1, messages: records });
}

/** The wire bytes of an override record: a resolution and the pending attestation it answers. */
export function encodeOverride(
  executionId: string,
  resolution: RawEnvelope,
  pending: RawEnvelope,
): Buffer {
  const record: OverrideRecord = {
    execution_id: executionId,
    envelope: envelopeRecord(resolution),
    pending_attestation: envelopeRecord(pending),
  };
  return overrideCodec.encode(record);
}
