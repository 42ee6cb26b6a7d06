export { canonicalize, canonicalBytes, parseCanonical, DEFAULT_LIMITS } from './canonical.js';
export type { JsonValue, CanonicalLimits } from './canonical.js';
export {
  utf8,
  fromUtf8,
  toBase64,
  fromBase64,
  toHex,
  fromHex,
  concatBytes,
  bytesEqual,
} from './bytes.js';
export { sha256Hex, sha256Bytes, digestOf } from './digest.js';
export { isExecutionId, isDigest, isKeyId, newExecutionId, EXECUTION_ID_PATTERN } from './ids.js';
export type { ExecutionId, Digest, KeyId } from './ids.js';
export { nobleEd25519, nobleSigner, noblePublicKey, isStrongPublicKey } from './ed25519.js';
export type { Ed25519Verifier, Signer } from './ed25519.js';
export { pae, signEnvelope, toDsse, fromDsse } from './dsse.js';
export type { RawEnvelope, DsseEnvelope } from './dsse.js';
export { loadTrustStore, keyIdOf, keyUnusableAt, requireKey, KEY_ROLES } from './trust.js';
export type { KeyRole, TrustedKey, TrustStore, TrustStoreDocument } from './trust.js';
export {
  parseIntent,
  IntentError,
  INTENT_PAYLOAD_TYPE,
  INTENT_TYPE,
  MAX_PARENTS,
} from './intent.js';
export type { IntentBody, ParentRef, RuntimeRef, DependencyRef } from './intent.js';
export {
  buildStatement,
  encodeStatement,
  parseStatement,
  ATTESTATION_PAYLOAD_TYPE,
  STATEMENT_TYPE,
  PREDICATE_TYPE,
} from './statement.js';
export type {
  Statement,
  Predicate,
  PolicyRef,
  Decision,
  AttestationKind,
  Authorization,
  OverrideRef,
} from './statement.js';
export { actionMatches, scopeCovers, intersectScopes, parseScope } from './scope.js';
export type { Scope } from './scope.js';
export {
  parseGrant,
  verifyGrant,
  signGrant,
  GrantError,
  GRANT_PAYLOAD_TYPE,
  GRANT_TYPE,
} from './grant.js';
export type { GrantBody, GrantRequest, VerifiedGrant } from './grant.js';
export {
  parseResolution,
  signResolution,
  ResolutionError,
  RESOLUTION_PAYLOAD_TYPE,
  RESOLUTION_TYPE,
} from './resolution.js';
export type { ResolutionBody } from './resolution.js';
export {
  parseRelease,
  verifyRelease,
  signRelease,
  knownRuntimeHashes,
  RELEASE_PAYLOAD_TYPE,
  RELEASE_TYPE,
} from './release.js';
export type { ReleaseBody, ReleasedRuntime } from './release.js';
export { executionFingerprint } from './fingerprint.js';
export { attestationLeaf, checkpointOrigin, checkpointKeyName } from './ledgerlog.js';
export { verifyAttestation, verifyEnvelopeSignature, attestationDigest } from './verify.js';
export type { VerifyContext, VerifiedAttestation } from './verify.js';
export { DENY_REASONS, OVERRIDE_REASONS, DEAD_LETTER_REASONS } from './reasons.js';
export type { DenyReason, OverrideReason, DeadLetterReason } from './reasons.js';
export { LineageError, ProtocolError, EncodingError, VerificationError } from './errors.js';
export type { EncodingErrorCode, VerificationErrorCode } from './errors.js';
export { buildBundle, verifyBundle, isBundle, BundleError, BUNDLE_MEDIA_TYPE } from './bundle.js';
export type { EvidenceBundle, BundledPolicy, VerifiedBundle, BundleErrorCode } from './bundle.js';
export type { IncludedAttestation } from './bundle.js';
export {
  bundleInclusion,
  checkpointSigners,
  parseInclusionProof,
  verifyAttestationInclusion,
  verifyLedgerCheckpoint,
  InclusionError,
} from './inclusion.js';
export type {
  BundledInclusion,
  InclusionErrorCode,
  InclusionEvidence,
  InclusionProof,
  VerifiedCheckpoint,
} from './inclusion.js';
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
} from './merkle.js';
export type { MerkleErrorCode } from './merkle.js';
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
} from './checkpoint.js';
export type {
  Checkpoint,
  CheckpointErrorCode,
  NoteSignature,
  SignedNote,
  NoteVerifierKey,
} from './checkpoint.js';
export { auditLog, LOG_AUDIT_CODES } from './audit.js';
export type {
  LogAuditCode,
  LogAuditInput,
  LogAuditContext,
  LogAuditProblem,
  LogAuditReport,
  LedgerRecord,
  LedgerPartition,
  CheckpointRecord,
} from './audit.js';
