export {
  leafHash,
  nodeHash,
  merkleRoot,
  merkleRootOfHashes,
  inclusionProof,
  consistencyProof,
  consistencyProofOfHashes,
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
  isKeyName as isNoteKeyName,
  MAX_NOTE_SIGNATURES,
  MAX_NOTE_LENGTH,
} from './checkpoint.js';
export type { Checkpoint, NoteSignature, SignedNote, NoteVerifierKey } from './checkpoint.js';
export {
  attestationLeaf,
  checkpointOrigin,
  checkpointKeyName,
  signLedgerCheckpoint,
  CHECKPOINT_RULE,
} from './ledgerlog.js';
export {
  cosignatureKeyId,
  cosignedMessage,
  cosignLine,
  verifyCosignature,
  addSignatureLines,
} from './cosignature.js';
export type { CosignerKey } from './cosignature.js';
export { bundleInclusion, parseInclusionProof, verifyAttestationInclusion } from './inclusion.js';
export type {
  BundledInclusion,
  ConsistencyEvidence,
  InclusionEvidence,
  InclusionProof,
} from './inclusion.js';
export {
  parsePinnedConsistency,
  partitionOfOrigin,
  pinnedCheckpoint,
  verifyPinnedConsistency,
} from './pinned.js';
export type { PinnedConsistency, PinnedSize } from './pinned.js';
export {
  checkpointSigners,
  checkWitnessQuorum,
  verifyLedgerCheckpoint,
} from './ledgercheckpoint.js';
export type { VerifiedCheckpoint, CheckpointContext } from './ledgercheckpoint.js';
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
export { parseAddCheckpoint, formatAddCheckpoint, TLOG_SIZE_CONTENT_TYPE } from './witnessing.js';
export type { AddCheckpointRequest } from './witnessing.js';
export * from './tiles.js';
