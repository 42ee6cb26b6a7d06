import type { Kafka } from 'kafkajs';
import { attestationDigest, parseStatement, sha256Hex, signResolution } from '@lineage/protocol';
import type { ExecutionId, KeyId, RawEnvelope, Signer, VerifyContext } from '@lineage/protocol';
import { envelopeRecord, overrideCodec } from '@lineage/schemas';
import type { TopicNames } from '@lineage/kafka';
import { LineageSdkError } from './errors.js';
import { connectPublisher, resolutionKey } from './watcher.js';
import type { ReceivedAttestation } from './watcher.js';

export interface ApproverOptions {
  kafka: Kafka;
  topics: TopicNames;
  /** The approver's own key: it signs every resolution. */
  signer: Signer;
  /** Trust material to verify governance's answers with. */
  verify: VerifyContext;
  timeoutMs?: number;
}

/** An approver's answer to one `pending_override` attestation. */
export interface ResolutionRequest {
  /** The `pending_override` attestation being resolved, as appended to the ledger. */
  pending: RawEnvelope;
  resolution: 'approve' | 'reject';
  reason?: string;
  resolvedAt?: Date;
}

/** A human (or service) who resolves held executions. */
export interface LineageApprover {
  /**
   * Signs a resolution of the pending attestation, publishes it to the overrides topic keyed by the
   * execution id (with the pending attestation beside it), and waits for governance's verified
   * answer. Resolves with the `override` attestation (allow on approve, deny on reject).
   * @throws LineageSdkError OVERRIDE_NOT_PENDING when `pending` is not a pending decision;
   *   OVERRIDE_REFUSED (with the signed `override_rejection`, its code in `reason`) when governance
   *   refuses the resolution; OVERRIDE_TIMEOUT; CLIENT_CLOSED.
   */
  publishResolution(request: ResolutionRequest): Promise<ReceivedAttestation>;
  close(): Promise<void>;
}

/** Connects an approver: an idempotent producer for resolutions and a watcher for attestations. */
export async function connectApprover(options: ApproverOptions): Promise<LineageApprover> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { producer, watcher } = await connectPublisher(
    options.kafka,
    options.topics.attestations,
    options.verify,
  );
  let closed = false;

  const publishResolution = async (request: ResolutionRequest): Promise<ReceivedAttestation> => {
    if (closed) throw new LineageSdkError('CLIENT_CLOSED', 'approver is closed');
    let executionId: ExecutionId;
    // Only a pending decision can be resolved; say so before publishing anything.
    try {
      const { predicate } = parseStatement(request.pending.payload);
      if (predicate.kind !== 'decision' || predicate.decision !== 'pending_override')
        throw new LineageSdkError(
          'OVERRIDE_NOT_PENDING',
          `${predicate.execution_id} is a ${predicate.kind} ${predicate.decision}, not a pending override`,
        );
      executionId = predicate.execution_id as ExecutionId;
    } catch (e) {
      if (e instanceof LineageSdkError) throw e;
      throw new LineageSdkError(
        'OVERRIDE_NOT_PENDING',
        'pending is not an attestation',
        undefined,
        {
          cause: e,
        },
      );
    }
    const envelope = signResolution(
      {
        execution_id: executionId,
        pending: attestationDigest(request.pending),
        resolution: request.resolution,
        approver: options.signer.keyid as KeyId,
        reason: request.reason ?? '',
        resolved_at: (request.resolvedAt ?? new Date()).toISOString(),
      },
      options.signer,
    );
    const answer = watcher.waitFor(resolutionKey(sha256Hex(envelope.payload)), timeoutMs);
    await producer.send({
      topic: options.topics.overrides,
      acks: -1,
      messages: [
        {
          key: executionId,
          value: overrideCodec.encode({
            execution_id: executionId,
            envelope: envelopeRecord(envelope),
            pending_attestation: envelopeRecord(request.pending),
          }),
        },
      ],
    });
    const received = await answer;
    if (!received)
      throw new LineageSdkError(
        'OVERRIDE_TIMEOUT',
        `no answer to the resolution of ${executionId} within ${timeoutMs} ms`,
      );
    const { predicate } = received.verified;
    if (predicate.kind !== 'override')
      throw new LineageSdkError(
        'OVERRIDE_REFUSED',
        `${predicate.kind}: ${predicate.reasons.join(', ')}`,
        received,
      );
    return received;
  };

  return {
    publishResolution,
    close: async () => {
      closed = true;
      await Promise.all([producer.disconnect(), watcher.stop()]);
    },
  };
}
