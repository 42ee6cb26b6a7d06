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
  const { kafka, topics, verify, signer } = options;
  const publisher = await connectPublisher(kafka, topics.attestations, verify, 'approver');

  const publishResolution = async (request: ResolutionRequest): Promise<ReceivedAttestation> => {
    const executionId = pendingExecution(request.pending);
    const envelope = signResolution(
      {
        execution_id: executionId,
        pending: attestationDigest(request.pending),
        resolution: request.resolution,
        approver: signer.keyid as KeyId,
        reason: request.reason ?? '',
        resolved_at: (request.resolvedAt ?? new Date()).toISOString(),
      },
      signer,
    );
    const value = overrideCodec.encode({
      execution_id: executionId,
      envelope: envelopeRecord(envelope),
      pending_attestation: envelopeRecord(request.pending),
    });
    const answerKey = resolutionKey(sha256Hex(envelope.payload));
    const received = await publisher.publish(
      topics.overrides,
      { key: executionId, value },
      answerKey,
      timeoutMs,
    );
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

  return { publishResolution, close: () => publisher.close() };
}

/**
 * The execution id of a pending decision: only one can be resolved, and this says so before
 * anything is published.
 * @throws LineageSdkError OVERRIDE_NOT_PENDING.
 */
function pendingExecution(pending: RawEnvelope): ExecutionId {
  let predicate: ReturnType<typeof parseStatement>['predicate'];
  try {
    predicate = parseStatement(pending.payload).predicate;
  } catch (cause) {
    throw new LineageSdkError('OVERRIDE_NOT_PENDING', 'pending is not an attestation', undefined, {
      cause,
    });
  }
  if (predicate.kind !== 'decision' || predicate.decision !== 'pending_override')
    throw new LineageSdkError(
      'OVERRIDE_NOT_PENDING',
      `${predicate.execution_id} is a ${predicate.kind} ${predicate.decision}, not a pending override`,
    );
  return predicate.execution_id as ExecutionId;
}
