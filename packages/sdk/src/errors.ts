import type { ReceivedAttestation } from './watcher.js';

export type SdkErrorCode = 'INTENT_DENIED' | 'INTENT_TIMEOUT' | 'CLIENT_CLOSED' | 'TOPICS_MISSING';

/** A publish that did not end in an allowed, verified attestation. */
export class LineageSdkError extends Error {
  readonly code: SdkErrorCode;
  /** The signed, verified attestation, when the failure is a signed denial. */
  readonly attestation: ReceivedAttestation | undefined;
  constructor(
    code: SdkErrorCode,
    message: string,
    attestation?: ReceivedAttestation,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.attestation = attestation;
    this.name = 'LineageSdkError';
  }
}
