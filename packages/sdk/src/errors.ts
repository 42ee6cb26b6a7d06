import { LineageError } from '@lineage/protocol';
import type { ApiErrorCode } from '@lineage/contract';
import type { ReceivedAttestation } from './received.js';

export type SdkErrorCode =
  | 'INTENT_DENIED'
  | 'INTENT_PENDING_OVERRIDE'
  | 'INTENT_TIMEOUT'
  | 'OVERRIDE_REFUSED'
  | 'OVERRIDE_TIMEOUT'
  | 'OVERRIDE_NOT_PENDING'
  | 'CLIENT_CLOSED'
  | 'TOPICS_MISSING';

/** Codes of the query API's error body, plus the client's own for transport failures. */
export type QueryErrorCode =
  | ApiErrorCode
  /** No HTTP answer (connection refused, DNS, aborted). `status` is 0. */
  | 'UNAVAILABLE'
  /** An answer that is not the API's JSON (a proxy page, a truncated body). */
  | 'BAD_RESPONSE';

/**
 * A publish that did not end as asked: an intent not allowed, a resolution governance refused (the
 * signed `override_rejection` is attached; its reason code is `reason`), or no answer in time.
 */
export class LineageSdkError extends LineageError<SdkErrorCode> {
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
    super(code, message, options);
    this.attestation = attestation;
    this.reason = attestation?.verified.predicate.reasons[0];
  }
}

/** A query the API refused or could not answer; `code` is the server's, `status` the HTTP status. */
export class LineageQueryError extends LineageError<QueryErrorCode> {
  constructor(
    code: QueryErrorCode,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
