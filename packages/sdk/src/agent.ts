import type { Kafka } from 'kafkajs';
import { sha256Hex } from '@lineage/protocol';
import type { JsonValue, RuntimeRef, Signer, VerifyContext } from '@lineage/protocol';
import { envelopeRecord, intentCodec } from '@lineage/schemas';
import type { TopicNames } from '@lineage/kafka';
import { LineageSdkError } from './errors.js';
import { signIntent } from './intent.js';
import type { IntentDraft, SignedIntent } from './intent.js';
import { connectPublisher } from './watcher.js';
import type { ReceivedAttestation } from './watcher.js';

export interface AgentOptions {
  kafka: Kafka;
  topics: TopicNames;
  /** The agent's own key: it signs every intent. */
  signer: Signer;
  /** Trust material to verify governance's answers with. */
  verify: VerifyContext;
  runtime: RuntimeRef;
  /**
   * The principal's signed grant (the DSSE envelope JSON `signGrant` returns) authorizing this agent.
   * It is attached to every root intent (one without parents); children never carry one, they
   * inherit authority from their parents' attestations.
   */
  grant?: JsonValue;
  timeoutMs?: number;
}

/** An agent connected to Lineage. */
export interface LineageAgent {
  /**
   * Signs and publishes an intent, then waits for governance's attestation and verifies it. A root
   * intent carries the draft's grant, else the agent's; a child carries none.
   * Resolves with the allowed attestation.
   * @throws LineageSdkError INTENT_DENIED (with the signed denial), INTENT_PENDING_OVERRIDE (with
   *   the signed `pending_override`, to resolve with an approver's `publishResolution`) or
   *   INTENT_TIMEOUT.
   */
  publishIntent(draft: IntentDraft): Promise<ReceivedAttestation>;
  /** Publishes an already signed intent (e.g. a retry) and waits as {@link publishIntent}. */
  publishSigned(intent: SignedIntent): Promise<ReceivedAttestation>;
  close(): Promise<void>;
}

/** Connects an agent: an idempotent producer for intents and a watcher for attestations. */
export async function connectAgent(options: AgentOptions): Promise<LineageAgent> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { kafka, topics, verify } = options;
  const publisher = await connectPublisher(kafka, topics.attestations, verify, 'agent');

  const publishSigned = async (intent: SignedIntent): Promise<ReceivedAttestation> => {
    const id = intent.body.execution_id;
    const value = intentCodec.encode({
      execution_id: id,
      envelope: envelopeRecord(intent.envelope),
      parent_attestations: intent.parents.map(envelopeRecord),
    });
    const answerKey = sha256Hex(intent.envelope.payload);
    const received = await publisher.publish(
      topics.intents,
      { key: id, value },
      answerKey,
      timeoutMs,
    );
    if (!received)
      throw new LineageSdkError(
        'INTENT_TIMEOUT',
        `no attestation for ${id} within ${timeoutMs} ms`,
      );
    return allowed(received);
  };

  return {
    publishSigned,
    publishIntent: (draft) => {
      const root = (draft.parents ?? []).length === 0;
      const grant = root ? (draft.grant ?? options.grant ?? null) : null;
      return publishSigned(signIntent({ ...draft, grant }, options.signer, options.runtime));
    },
    close: () => publisher.close(),
  };
}

/**
 * The answer when governance allowed the intent.
 * @throws LineageSdkError INTENT_PENDING_OVERRIDE or INTENT_DENIED, with the signed answer.
 */
function allowed(received: ReceivedAttestation): ReceivedAttestation {
  const { predicate } = received.verified;
  if (predicate.decision === 'pending_override') {
    throw new LineageSdkError(
      'INTENT_PENDING_OVERRIDE',
      `held for an approver: ${predicate.reasons.join(', ')}`,
      received,
    );
  }
  if (predicate.decision !== 'allow') {
    throw new LineageSdkError(
      'INTENT_DENIED',
      `${predicate.kind} ${predicate.decision}: ${predicate.reasons.join(', ')}`,
      received,
    );
  }
  return received;
}
