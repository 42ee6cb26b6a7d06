// Intents for the system tests: SDK-signed drafts carrying the default grant; wire encodings from the kit.
import type { Producer } from 'kafkajs';
import type { Signer } from '@lineage/protocol';
import { signIntent } from '@lineage/sdk';
import type { IntentDraft, SignedIntent } from '@lineage/sdk';
import { withGrant } from './authority.js';
import { TEST_RUNTIME } from './ledger.js';

import { encodeIntent } from '@lineage/testkit';

export { encodeIntent, encodeOverride, signedIntent as signBody } from '@lineage/testkit';

/**
 * An intent signed by `signer` from a draft. A root draft that says nothing about `grant` carries
 * the default test grant for that agent (see {@link grantFor}); pass `grant: null` for none.
 */
export function intent(signer: Signer, draft: IntentDraft): SignedIntent {
  return signIntent(withGrant(signer.keyid, draft), signer, TEST_RUNTIME);
}

/** Publishes raw records to the intents topic, keyed as given. */
export async function sendRaw(
  producer: Producer,
  topic: string,
  records: { key: string; value: Buffer | null }[],
): Promise<void> {
  await producer.send({ topic, acks: -1, messages: records });
}

/** The intents-topic record of a signed intent: keyed by its execution id, its parents attached. */
export function intentRecord(i: SignedIntent): { key: string; value: Buffer } {
  return {
    key: i.body.execution_id,
    value: encodeIntent(i.body.execution_id, i.envelope, i.parents),
  };
}

/** Publishes signed intents to the intents topic, each as {@link intentRecord}. */
export async function sendIntents(
  producer: Producer,
  topic: string,
  intents: readonly SignedIntent[],
): Promise<void> {
  await sendRaw(producer, topic, intents.map(intentRecord));
}
