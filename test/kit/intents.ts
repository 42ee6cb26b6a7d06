import type { Producer } from 'kafkajs';
import { INTENT_PAYLOAD_TYPE, canonicalBytes, signEnvelope } from '@lineage/protocol';
import type { RawEnvelope, Signer } from '@lineage/protocol';
import { envelopeRecord, intentCodec } from '@lineage/schemas';
import { signIntent } from '@lineage/sdk';
import type { IntentDraft, SignedIntent } from '@lineage/sdk';
import { TEST_RUNTIME } from './ledger.js';

/** An intent signed by `signer` from a draft. */
export function intent(signer: Signer, draft: IntentDraft): SignedIntent {
  return signIntent(draft, signer, TEST_RUNTIME);
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
