import type { DenyReason } from './records/reasons.js';

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

/** The deny reasons an intent that cannot be decided on its content ends in. */
export type IntentErrorCode = Extract<
  DenyReason,
  'INTENT_MALFORMED' | 'EXECUTION_ID_MISSING' | 'EXECUTION_ID_MALFORMED'
>;

/** The deny reasons a grant that does not authorize an intent ends in. */
export type GrantErrorCode = Extract<
  DenyReason,
  | 'GRANT_MISSING'
  | 'GRANT_INVALID'
  | 'GRANT_PRINCIPAL_UNTRUSTED'
  | 'GRANT_EXPIRED'
  | 'GRANT_OUT_OF_SCOPE'
>;

/** The refusal reason of a resolution that cannot be applied. */
export type ResolutionErrorCode = Extract<DenyReason, 'OVERRIDE_MALFORMED'>;

/** Why an evidence bundle does not prove what it claims (besides a {@link VerificationErrorCode}). */
export type BundleErrorCode =
  | 'BUNDLE_MALFORMED'
  | 'BUNDLE_TARGET_MISSING'
  | 'ANCESTOR_MISSING'
  | 'ANCESTOR_NOT_ALLOWED'
  | 'POLICY_MISSING'
  | 'POLICY_HASH_MISMATCH'
  | 'KEY_MISMATCH'
  | 'INTENT_SIGNATURE_INVALID'
  | 'RELEASE_INVALID'
  | 'CHECKPOINT_INVALID'
  | 'INCLUSION_PROOF_INVALID'
  | WitnessErrorCode;

/**
 * Why an inclusion proof or the checkpoint it points at was rejected.
 *
 * - `CHECKPOINT_INVALID`: the signed note is malformed, is not signed by a trusted `governance` key
 *   under its checkpoint key name, its signature fails, or its origin is not the proof's partition
 *   of the bundle's ledger.
 * - `INCLUSION_PROOF_INVALID`: the proof is malformed, its position is not the attestation's
 *   (partition, sequence), its index is outside the checkpoint's tree, or the audit path does not
 *   lead from the attestation's leaf to the checkpoint's root.
 */
export type InclusionErrorCode =
  'CHECKPOINT_INVALID' | 'INCLUSION_PROOF_INVALID' | WitnessErrorCode;

/**
 * Why a checkpoint fails the trust store's witness policy.
 *
 * - `WITNESS_QUORUM_MISSING`: fewer valid cosignatures by the policy's witnesses than its quorum
 *   (also: a bundle with no checkpoint at all under a policy).
 * - `COSIGNATURE_INVALID`: a line with a policy witness's name and key ID does not verify.
 * - `CONSISTENCY_PROOF_INVALID`: a consistency proof to a checkpoint the verifier pinned fails.
 */
export type WitnessErrorCode =
  'WITNESS_QUORUM_MISSING' | 'COSIGNATURE_INVALID' | 'CONSISTENCY_PROOF_INVALID';

/** Why a signed note or checkpoint was rejected. */
export type CheckpointErrorCode =
  'MALFORMED_NOTE' | 'MALFORMED_CHECKPOINT' | 'UNKNOWN_KEY' | 'SIGNATURE_INVALID';

/**
 * Why a Merkle operation refused its arguments. "Does not verify" is never an error: verification
 * functions return false for that, and throw only for arguments no proof could ever satisfy.
 */
export type MerkleErrorCode =
  'INVALID_INDEX' | 'INVALID_SIZE' | 'INVALID_HASH' | 'INVALID_PROOF_SHAPE';

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

/** An intent that cannot be decided on its content; `code` is the deny reason. */
export class IntentError extends ProtocolError<IntentErrorCode> {}

/** Why a grant does not authorize an intent; `code` is the deny reason. */
export class GrantError extends ProtocolError<GrantErrorCode> {}

/** A resolution that cannot be applied; `code` is the refusal reason. */
export class ResolutionError extends ProtocolError<ResolutionErrorCode> {}

/** An inclusion proof or checkpoint that does not verify. */
export class InclusionError extends ProtocolError<InclusionErrorCode> {}

/** A C2SP signed note or tlog checkpoint that is malformed or does not verify. */
export class CheckpointError extends ProtocolError<CheckpointErrorCode> {}

/** Malformed arguments to a Merkle tree function (RFC 6962 / RFC 9162). */
export class MerkleError extends ProtocolError<MerkleErrorCode> {}

/**
 * A bundle that does not prove what it claims; `executionId` names the offending execution (null
 * when the failure concerns the bundle as a whole).
 */
export class BundleError extends ProtocolError<BundleErrorCode | VerificationErrorCode> {
  constructor(
    code: BundleErrorCode | VerificationErrorCode,
    message: string,
    readonly executionId: string | null,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
