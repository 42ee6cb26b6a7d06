import type { VerifiedAttestation } from '@lineage/protocol';

export type SdkErrorCode = 'INTENT_DENIED' | 'INTENT_TIMEOUT' | 'CLIENT_CLOSED';

/** A publish that did not end in an allowed, verified attestation. */
export class LineageSdkError extends Error {
  readonly code: SdkErrorCode;
  /** The signed attestation, when the failure is a signed denial. */
  readonly attestation: VerifiedAttestation | undefined;
  constructor(code: SdkErrorCode, message: string, attestation?: VerifiedAttestation) {
    super(message);
    this.code = code;
    this.attestation = attestation;
    this.name = 'LineageSdkError';
  }
}
