import type { ReceivedAttestation } from './watcher.js';

export type SdkErrorCode =
  | 'INTENT_DENIED'
  | 'INTENT_PENDING_OVERRIDE'
  | 'INTENT_TIMEOUT'
  | 'OVERRIDE_REFUSED'
  | 'OVERRIDE_TIMEOUT'
  | 'OVERRIDE_NOT_PENDING'
  | 'CLIENT_CLOSED'
  | 'TOPICS_MISSING';

/**
 * A publish that did not end as asked: an intent not allowed, a resolution governance refused (the
 * signed `override_rejection` is attached; its reason code is `reason`), or no answer in time.
 */
export class LineageSdkError extends Error {
  readonly code: SdkErrorCode;
  /** The signed, verified attestation, when the failure is a signed denial. */
  readonly attestation: ReceivedAttestation | undefined;
  /** The first reason code of the signed answer, when there is one. */
  readonly reason: string | undefined;
  constructor(
    code: SdkErrorCode,
    message: string,
    attestation?: ReceivedAttestation,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.attestation = attestation;
    this.reason = attestation?.verified.predicate.reasons[0];
    this.name = 'LineageSdkError';
  }
}
