export { canonicalize, canonicalBytes, parseCanonical, DEFAULT_LIMITS } from './encoding/canonical.js';
export type { JsonValue, CanonicalLimits } from './encoding/canonical.js';
export {
  utf8,
  fromUtf8,
  toBase64,
  fromBase64,
  toHex,
  fromHex,
  concatBytes,
  bytesEqual,
} from './encoding/bytes.js';
export { sha256Hex, sha256Bytes, digestOf } from './encoding/digest.js';
export { isExecutionId, isDigest, isKeyId, newExecutionId } from './records/ids.js';
export type { ExecutionId, Digest, KeyId } from './records/ids.js';
export { nobleEd25519, nobleSigner, noblePublicKey, isStrongPublicKey } from './encoding/ed25519.js';
export type { Ed25519Verifier, Signer } from './encoding/ed25519.js';
export { pae, signEnvelope, toDsse, fromDsse } from './encoding/dsse.js';
export type { RawEnvelope, DsseEnvelope } from './encoding/dsse.js';
export { loadTrustStore, keyIdOf, keyUnusableAt, requireKey, KEY_ROLES } from './trust/store.js';
export type { KeyRole, TrustedKey, TrustStore, TrustStoreDocument } from './trust/store.js';
export {
  parseIntent,
  IntentError,
  INTENT_PAYLOAD_TYPE,
  INTENT_TYPE,
  MAX_PARENTS,
} from './records/intent.js';
export type { IntentBody, ParentRef, RuntimeRef, DependencyRef } from './records/intent.js';
export {
  buildStatement,
  encodeStatement,
  parseStatement,
  ATTESTATION_PAYLOAD_TYPE,
  STATEMENT_TYPE,
  PREDICATE_TYPE,
} from './records/statement.js';
export type {
  Statement,
  Predicate,
  PolicyRef,
  Decision,
  AttestationKind,
  Authorization,
  OverrideRef,
} from './records/statement.js';
export { actionMatches, scopeCovers, intersectScopes, parseScope } from './records/scope.js';
export type { Scope } from './records/scope.js';
export {
  parseGrant,
  verifyGrant,
  signGrant,
  GrantError,
  GRANT_PAYLOAD_TYPE,
  GRANT_TYPE,
} from './records/grant.js';
export type { GrantBody, GrantRequest, VerifiedGrant } from './records/grant.js';
export {
  parseResolution,
  signResolution,
  ResolutionError,
  RESOLUTION_PAYLOAD_TYPE,
  RESOLUTION_TYPE,
} from './records/resolution.js';
export type { ResolutionBody } from './records/resolution.js';
export {
  parseRelease,
  verifyRelease,
  signRelease,
  knownRuntimeHashes,
  RELEASE_PAYLOAD_TYPE,
  RELEASE_TYPE,
} from './records/release.js';
export type { ReleaseBody, ReleasedRuntime } from './records/release.js';
export { executionFingerprint } from './records/fingerprint.js';
export { attestationLeaf, checkpointOrigin, checkpointKeyName } from './log/ledgerlog.js';
export { verifyAttestation, verifyEnvelopeSignature, attestationDigest } from './verify/attestation.js';
export type { VerifyContext, VerifiedAttestation } from './verify/attestation.js';
export { DENY_REASONS, OVERRIDE_REASONS, DEAD_LETTER_REASONS } from './records/reasons.js';
export type { DenyReason, OverrideReason, DeadLetterReason } from './records/reasons.js';
export { LineageError, ProtocolError, EncodingError, VerificationError } from './errors.js';
export type { EncodingErrorCode, VerificationErrorCode } from './errors.js';
export { buildBundle, verifyBundle, isBundle, BundleError, BUNDLE_MEDIA_TYPE } from './verify/bundle.js';
export type { EvidenceBundle, BundledPolicy, VerifiedBundle, BundleErrorCode } from './verify/bundle.js';
export type { IncludedAttestation } from './verify/bundle.js';
export {
  bundleInclusion,
  checkpointSigners,
  parseInclusionProof,
  verifyAttestationInclusion,
  verifyLedgerCheckpoint,
  InclusionError,
} from './log/inclusion.js';
export type {
  BundledInclusion,
  InclusionErrorCode,
  InclusionEvidence,
  InclusionProof,
  VerifiedCheckpoint,
} from './log/inclusion.js';
export {
  leafHash,
  nodeHash,
  merkleRoot,
  merkleRootOfHashes,
  inclusionProof,
  consistencyProof,
  verifyInclusion,
  verifyConsistency,
  MerkleBuilder,
  MerkleError,
  EMPTY_ROOT,
  MERKLE_HASH_SIZE,
} from './log/merkle.js';
export type { MerkleErrorCode } from './log/merkle.js';
export {
  formatCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  parseSignedNote,
  verifyNote,
  verifyCheckpoint,
  noteKeyId,
  CheckpointError,
  MAX_NOTE_SIGNATURES,
  MAX_NOTE_LENGTH,
} from './log/checkpoint.js';
export type {
  Checkpoint,
  CheckpointErrorCode,
  NoteSignature,
  SignedNote,
  NoteVerifierKey,
} from './log/checkpoint.js';
export { auditLog, LOG_AUDIT_CODES } from './log/audit.js';
export type {
  LogAuditCode,
  LogAuditInput,
  LogAuditContext,
  LogAuditProblem,
  LogAuditReport,
  LedgerRecord,
  LedgerPartition,
  CheckpointRecord,
} from './log/audit.js';
