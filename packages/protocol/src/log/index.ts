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
  EMPTY_ROOT,
  MERKLE_HASH_SIZE,
} from './merkle.js';
export {
  formatCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  parseSignedNote,
  verifyNote,
  verifyCheckpoint,
  noteKeyId,
  MAX_NOTE_SIGNATURES,
  MAX_NOTE_LENGTH,
} from './checkpoint.js';
export type { Checkpoint, NoteSignature, SignedNote, NoteVerifierKey } from './checkpoint.js';
export { attestationLeaf, checkpointOrigin, checkpointKeyName } from './ledgerlog.js';
export {
  bundleInclusion,
  checkpointSigners,
  parseInclusionProof,
  verifyAttestationInclusion,
  verifyLedgerCheckpoint,
} from './inclusion.js';
export type {
  BundledInclusion,
  InclusionEvidence,
  InclusionProof,
  VerifiedCheckpoint,
} from './inclusion.js';
export { auditLog } from './audit.js';
export { LOG_AUDIT_CODES } from './audit-report.js';
export type {
  LogAuditCode,
  LogAuditInput,
  LogAuditContext,
  LogAuditProblem,
  LogAuditReport,
  LedgerRecord,
  LedgerPartition,
  CheckpointRecord,
} from './audit-report.js';
