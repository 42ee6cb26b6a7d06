/** Why a value could not be turned into, or read back from, canonical JSON bytes. */
export type EncodingErrorCode =
  | 'NOT_UTF8'
  | 'NOT_JSON'
  | 'NOT_CANONICAL'
  | 'UNSUPPORTED_VALUE'
  | 'TOO_DEEP'
  | 'TOO_LARGE'
  | 'BAD_BASE64'
  | 'BAD_HEX';

/**
 * Why an envelope, statement, trust store or bundle failed verification. These codes are printed by
 * `lineage verify` and are part of the protocol: a closed, documented list.
 */
export type VerificationErrorCode =
  | 'ENVELOPE_MALFORMED'
  | 'PAYLOAD_TYPE_UNSUPPORTED'
  | 'SIGNATURE_MISSING'
  | 'KEY_UNKNOWN'
  | 'KEY_ROLE_MISMATCH'
  | 'KEY_NOT_VALID_AT'
  | 'SIGNATURE_INVALID'
  | 'STATEMENT_MALFORMED'
  | 'PREDICATE_TYPE_UNSUPPORTED'
  | 'SUBJECT_MISMATCH'
  | 'TRUST_STORE_MALFORMED'
  | 'INTENT_MALFORMED'
  | 'OVERRIDE_INVALID';

/**
 * The one base error of every Lineage package: a stable `code` from the package's closed union, a
 * one-line message fit to print, and an optional `cause`. Each package's `errors.ts` derives its own
 * class from it in one line (`class QueryError extends LineageError<QueryErrorCode> {}`); tests
 * assert `code`, never the message text.
 */
export class LineageError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Base error of the protocol package: every failure carries a stable `code`. */
export class ProtocolError<C extends string = string> extends LineageError<C> {}

/** Input that is not acceptable canonical JSON / base64 / hex. */
export class EncodingError extends ProtocolError<EncodingErrorCode> {}

/** A signed artifact or trust material that does not verify. */
export class VerificationError extends ProtocolError<VerificationErrorCode> {}
