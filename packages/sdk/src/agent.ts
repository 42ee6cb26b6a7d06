import type { Kafka } from 'kafkajs';
import { newExecutionId, sha256Hex } from '@lineage/protocol';
import type { JsonValue, RuntimeRef, Signer, VerifyContext } from '@lineage/protocol';
import { envelopeRecord, intentCodec } from '@lineage/schemas';
import type { TopicNames } from '@lineage/kafka';
import { LineageSdkError } from './errors.js';
import { signIntent } from './intent.js';
import type { IntentDraft, SignedIntent } from './intent.js';
import { inProducerSpan } from './tracing.js';
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

  // Sends an intent; resolves once the broker has it, with the wait for governance's answer.
  const send = (intent: SignedIntent) => {
    const value = intentCodec.encode({
      execution_id: intent.body.execution_id,
      envelope: envelopeRecord(intent.envelope),
      parent_attestations: intent.parents.map(envelopeRecord),
    });
    const answerKey = sha256Hex(intent.envelope.payload);
    const record = { key: intent.body.execution_id, value };
    return publisher.send(topics.intents, record, answerKey, timeoutMs);
  };

  const settle = async (
    intent: SignedIntent,
    answer: Promise<ReceivedAttestation | undefined>,
  ): Promise<ReceivedAttestation> => {
    const id = intent.body.execution_id;
    const received = await answer;
    if (!received)
      throw new LineageSdkError(
        'INTENT_TIMEOUT',
        `no attestation for ${id} within ${timeoutMs} ms`,
      );
    return allowed(received);
  };

  const publishSigned = async (intent: SignedIntent): Promise<ReceivedAttestation> =>
    settle(intent, (await send(intent)).answer);

  return {
    publishSigned,
    publishIntent: async (draft) => {
      const root = (draft.parents ?? []).length === 0;
      const grant = root ? (draft.grant ?? options.grant ?? null) : null;
      const executionId = draft.executionId ?? newExecutionId();
      // A producer span around signing and sending; its traceparent is signed into the intent
      // (unless the draft names one), so governance's span continues the agent's trace.
      let signed: SignedIntent | undefined;
      const { answer } = await inProducerSpan(options.topics.intents, executionId, (trace) => {
        const withTrace = { ...draft, executionId, grant, trace: draft.trace ?? trace };
        signed = signIntent(withTrace, options.signer, options.runtime);
        return send(signed);
      });
      return settle(signed!, answer);
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
