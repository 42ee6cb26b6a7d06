// What a ledger audit reads and reports: its input records, the closed list of problem codes, and
// the one problem or the report it returns.
import type { RawEnvelope } from '../encoding/dsse.js';
import type { Ed25519Verifier } from '../encoding/ed25519.js';
import type { TrustStore } from '../trust/store.js';

/**
 * What a log audit finds wrong (the first problem only), in the order it checks for them. A closed
 * list, printed by `lineage log verify`:
 * - `RECORD_ALTERED`: a record does not decode, or its signature or statement does not verify.
 * - `RECORD_DELETED`: a sequence number is missing from the partition (a gap that never fills).
 * - `RECORD_INSERTED`: a validly signed record that is not this partition's record at its place:
 *   it belongs to another partition, or repeats a sequence with other content (a fork).
 * - `RECORD_DUPLICATED`: a record repeated (same sequence, same digest).
 * - `RECORD_REORDERED`: a record ahead of a sequence that appears later: the order was changed.
 * - `CHAIN_BROKEN`: a record's `prev` is not the digest of the record before it.
 * - `CHECKPOINT_SIGNATURE_INVALID`: a checkpoint note that is malformed, signed by no trusted
 *   governance key, signed wrongly, or that names another log than its partition's.
 * - `CHECKPOINT_INCONSISTENT`: a checkpoint whose tree does not extend the partition's earlier
 *   checkpoint (RFC 6962 consistency proof from the ledger's leaves fails).
 * - `CHECKPOINT_ROOT_MISMATCH`: the ledger's tree at a checkpoint's size has another root.
 * - `LEDGER_TRUNCATED`: a partition is shorter than a signed checkpoint of it.
 */
export const LOG_AUDIT_CODES = [
  'RECORD_ALTERED',
  'RECORD_DELETED',
  'RECORD_INSERTED',
  'RECORD_DUPLICATED',
  'RECORD_REORDERED',
  'CHAIN_BROKEN',
  'CHECKPOINT_SIGNATURE_INVALID',
  'CHECKPOINT_INCONSISTENT',
  'CHECKPOINT_ROOT_MISMATCH',
  'LEDGER_TRUNCATED',
] as const;

/** One of {@link LOG_AUDIT_CODES}. */
export type LogAuditCode = (typeof LOG_AUDIT_CODES)[number];

/** One record of an attestation partition as read, in offset order. */
export interface LedgerRecord {
  /** Kafka offset (decimal string). */
  offset: string;
  /** The attestation envelope, or null when the record's bytes do not decode. */
  envelope: RawEnvelope | null;
}

/** One attestation partition as read from its first offset to its end. */
export interface LedgerPartition {
  partition: number;
  records: readonly LedgerRecord[];
  /** The partition's end offset (next offset to be written); defaults to the last record's + 1. */
  endOffset?: string;
}

/** One record of the checkpoints topic: keyed by the attestation partition, valued by the note. */
export interface CheckpointRecord {
  /** Offset in the checkpoints topic. */
  offset: string;
  /** The record key: the attestation partition number in decimal. */
  key: string | null;
  /** The signed note text (c2sp.org/tlog-checkpoint). */
  note: string;
}

/** The topics of one ledger, read end to end. */
export interface LogAuditInput {
  /** Attestations topic name the checkpoint origins must name ({@link checkpointOrigin}). */
  attestationsTopic: string;
  partitions: readonly LedgerPartition[];
  /** The checkpoints topic in offset order. */
  checkpoints: readonly CheckpointRecord[];
}

/** Trust material for the audit: governance keys sign both attestations and checkpoints. */
export interface LogAuditContext {
  trust: TrustStore;
  ed25519: Ed25519Verifier;
}

/** The first problem found: its code and where (attestation partition, and the record's offset). */
export interface LogAuditProblem {
  ok: false;
  code: LogAuditCode;
  /** The attestation partition concerned. */
  partition: number;
  /** Which topic `offset` is an offset of. */
  topic: 'attestations' | 'checkpoints';
  /** Offset of the offending record, or for truncation the partition's end offset. */
  offset: string;
  /** The chain sequence concerned, when known. */
  sequence: number | null;
  detail: string;
}

/** A whole ledger: per partition, its size and how much of it signed checkpoints cover. */
export interface LogAuditReport {
  ok: true;
  attestations: number;
  checkpoints: number;
  partitions: { partition: number; size: number; checkpoints: number; checkpointed: number }[];
}

/** The problem builder for one partition, with offsets of `topic`. */
export function problemIn(
  partition: number,
  topic: LogAuditProblem['topic'],
): (
  code: LogAuditCode,
  offset: string,
  sequence: number | null,
  detail: string,
) => LogAuditProblem {
  return (code, offset, sequence, detail) => ({
    ok: false,
    code,
    partition,
    topic,
    offset,
    sequence,
    detail,
  });
}

/** The record chain of one partition, as the checkpoint audit needs it. */
export interface Chain {
  partition: number;
  /** Payloads in sequence order: the leaf data of the partition's Merkle tree. */
  leaves: Uint8Array[];
  endOffset: string;
}
