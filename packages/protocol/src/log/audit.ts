import { bytesEqual, toBase64 } from '../encoding/bytes.js';
import type { Checkpoint } from './checkpoint.js';
import type { RawEnvelope } from '../encoding/dsse.js';
import type { Ed25519Verifier } from '../encoding/ed25519.js';
import { InclusionError, ProtocolError } from '../errors.js';
import type { Digest } from '../records/ids.js';
import { verifyLedgerCheckpoint } from './inclusion.js';
import { MerkleBuilder, consistencyProof, leafHash, verifyConsistency } from './merkle.js';
import { parseStatement } from '../records/statement.js';
import type { TrustStore } from '../trust/store.js';
import { verifyAttestation } from '../verify/attestation.js';

/**
 * What a log audit found wrong, first problem only. A closed list, printed by `lineage log verify`:
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
export type LogAuditCode =
  | 'RECORD_ALTERED'
  | 'RECORD_DELETED'
  | 'RECORD_INSERTED'
  | 'RECORD_DUPLICATED'
  | 'RECORD_REORDERED'
  | 'CHAIN_BROKEN'
  | 'CHECKPOINT_SIGNATURE_INVALID'
  | 'CHECKPOINT_INCONSISTENT'
  | 'CHECKPOINT_ROOT_MISMATCH'
  | 'LEDGER_TRUNCATED';

/** Every {@link LogAuditCode}, in the order the audit checks for them. */
export const LOG_AUDIT_CODES: readonly LogAuditCode[] = [
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
];

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

interface Chain {
  partition: number;
  /** Payloads in sequence order: the leaf data of the partition's Merkle tree. */
  leaves: Uint8Array[];
  endOffset: string;
}

interface VerifiedCheckpoint extends Checkpoint {
  offset: string;
}

const DECIMAL = /^(0|[1-9][0-9]{0,8})$/;

function endOf(p: LedgerPartition): string {
  if (p.endOffset !== undefined) return p.endOffset;
  const last = p.records[p.records.length - 1];
  return last === undefined ? '0' : (BigInt(last.offset) + 1n).toString();
}

// The sequence a record claims, read without verifying (to tell a reordering from a deletion).
function claimedSequence(record: LedgerRecord): number | null {
  if (record.envelope === null) return null;
  try {
    return parseStatement(record.envelope.payload).predicate.sequence;
  } catch {
    return null;
  }
}

function auditChain(
  input: LedgerPartition,
  ctx: LogAuditContext,
): { ok: true; chain: Chain } | LogAuditProblem {
  const p = input.partition;
  const problem = (
    code: LogAuditCode,
    offset: string,
    sequence: number | null,
    detail: string,
  ): LogAuditProblem => ({
    ok: false,
    code,
    partition: p,
    topic: 'attestations',
    offset,
    sequence,
    detail,
  });
  // Where each claimed sequence occurs (by index), so a gap can look ahead.
  const claimedAt = new Map<number, number[]>();
  input.records.forEach((r, i) => {
    const s = claimedSequence(r);
    if (s !== null) claimedAt.set(s, [...(claimedAt.get(s) ?? []), i]);
  });
  const digests: Digest[] = [];
  const leaves: Uint8Array[] = [];
  for (const [i, record] of input.records.entries()) {
    const expected = leaves.length;
    // The record must decode to an envelope.
    if (record.envelope === null) {
      return problem(
        'RECORD_ALTERED',
        record.offset,
        null,
        'record does not decode as an attestation',
      );
    }
    // The governance signature and the statement must verify.
    let verified;
    try {
      verified = verifyAttestation(record.envelope, ctx);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return problem(
        'RECORD_ALTERED',
        record.offset,
        claimedSequence(record),
        `attestation does not verify: ${e.code}`,
      );
    }
    const { predicate, digest } = verified;
    const seq = predicate.sequence;
    // The record must belong to this partition's chain.
    if (predicate.partition !== p) {
      return problem(
        'RECORD_INSERTED',
        record.offset,
        seq,
        `record of partition ${predicate.partition} sequence ${seq} found in partition ${p}`,
      );
    }
    // A sequence already on the chain: the same record again is a duplicate, another one a fork.
    if (seq < expected) {
      return digests[seq] === digest
        ? problem(
            'RECORD_DUPLICATED',
            record.offset,
            seq,
            `sequence ${seq} (${digest}) appears again`,
          )
        : problem(
            'RECORD_INSERTED',
            record.offset,
            seq,
            `another record claims sequence ${seq}: ${digest}, the chain has ${digests[seq]}`,
          );
    }
    // A sequence past the next one: the next one either comes later (reordered) or nowhere (deleted).
    if (seq > expected) {
      const later = (claimedAt.get(expected) ?? []).some((j) => j > i);
      return later
        ? problem(
            'RECORD_REORDERED',
            record.offset,
            seq,
            `sequence ${seq} comes before sequence ${expected}`,
          )
        : problem(
            'RECORD_DELETED',
            record.offset,
            expected,
            `sequence ${expected}${seq - 1 > expected ? `..${seq - 1}` : ''} missing before ${seq}`,
          );
    }
    // The record must link to the digest of the record before it (null at sequence 0).
    const prev = digests[expected - 1] ?? null;
    if (predicate.prev !== prev) {
      return problem(
        'CHAIN_BROKEN',
        record.offset,
        seq,
        `prev is ${predicate.prev ?? 'null'}, the previous record is ${prev ?? 'none'}`,
      );
    }
    digests.push(digest);
    leaves.push(record.envelope.payload);
  }
  return { ok: true, chain: { partition: p, leaves, endOffset: endOf(input) } };
}

function auditCheckpoints(
  chain: Chain,
  records: readonly CheckpointRecord[],
  attestationsTopic: string,
  ctx: LogAuditContext,
): { ok: true; checkpointed: number } | LogAuditProblem {
  const p = chain.partition;
  const problem = (
    code: LogAuditCode,
    offset: string,
    sequence: number | null,
    detail: string,
  ): LogAuditProblem => ({
    ok: false,
    code,
    partition: p,
    topic: 'checkpoints',
    offset,
    sequence,
    detail,
  });
  const checkpoints: VerifiedCheckpoint[] = [];
  for (const record of records) {
    // The note must be a checkpoint of this partition's log, signed by a trusted governance key.
    let cp: Checkpoint;
    try {
      cp = verifyLedgerCheckpoint(record.note, attestationsTopic, p, ctx);
    } catch (e) {
      if (!(e instanceof InclusionError)) throw e;
      return problem(
        'CHECKPOINT_SIGNATURE_INVALID',
        record.offset,
        null,
        `checkpoint ${e.message}`,
      );
    }
    checkpoints.push({ ...cp, offset: record.offset });
  }
  // The ledger's root at every checkpointed size, from one pass over the leaves.
  const sizes = new Set(checkpoints.map((c) => c.size));
  const roots = new Map<number, Uint8Array>();
  const builder = new MerkleBuilder();
  if (sizes.has(0)) roots.set(0, builder.root());
  for (const leaf of chain.leaves) {
    builder.append(leafHash(leaf));
    if (sizes.has(builder.size)) roots.set(builder.size, builder.root());
  }
  let previous: VerifiedCheckpoint | null = null;
  for (const cp of checkpoints) {
    // The ledger must hold every record a signed checkpoint covers.
    if (cp.size > chain.leaves.length) {
      return {
        ok: false,
        code: 'LEDGER_TRUNCATED',
        partition: p,
        topic: 'attestations',
        offset: chain.endOffset,
        sequence: chain.leaves.length,
        detail: `partition holds ${chain.leaves.length} attestations, checkpoint at offset ${cp.offset} of the checkpoints topic signs ${cp.size}`,
      };
    }
    // The checkpoint must extend (or equal) the one before it: verify a consistency proof from the leaves.
    if (previous !== null) {
      const [a, b] = previous.size <= cp.size ? [previous, cp] : [cp, previous];
      const proof = consistencyProof(chain.leaves, a.size, b.size);
      if (!verifyConsistency(a.size, b.size, proof, a.root, b.root)) {
        return problem(
          'CHECKPOINT_INCONSISTENT',
          cp.offset,
          cp.size,
          `checkpoint of size ${cp.size} (${toBase64(cp.root)}) is not consistent with the checkpoint of size ${previous.size} at offset ${previous.offset}`,
        );
      }
    }
    // The ledger's own tree at the checkpoint's size must have the signed root.
    const root = roots.get(cp.size)!;
    if (!bytesEqual(root, cp.root)) {
      return problem(
        'CHECKPOINT_ROOT_MISMATCH',
        cp.offset,
        cp.size,
        `checkpoint signs root ${toBase64(cp.root)} at size ${cp.size}, the ledger's tree has ${toBase64(root)}`,
      );
    }
    previous = cp;
  }
  return { ok: true, checkpointed: Math.max(0, ...checkpoints.map((c) => c.size)) };
}

/**
 * Audits a ledger read end to end: every attestation partition is a complete, unbroken, validly
 * signed hash chain in sequence order, and every signed checkpoint of a partition is well signed,
 * consistent with the partition's earlier checkpoint and matched by the ledger's own Merkle tree.
 * Record checks run over all partitions first, then checkpoint checks. Pure and synchronous.
 * @returns the first problem found (code, partition, offset), or the per-partition sizes.
 */
export function auditLog(
  input: LogAuditInput,
  ctx: LogAuditContext,
): LogAuditProblem | LogAuditReport {
  const chains = new Map<number, Chain>();
  for (const partition of [...input.partitions].sort((a, b) => a.partition - b.partition)) {
    const result = auditChain(partition, ctx);
    if (!result.ok) return result;
    chains.set(partition.partition, result.chain);
  }
  // Checkpoints grouped by the partition their key names, in topic order.
  const byPartition = new Map<number, CheckpointRecord[]>();
  for (const record of input.checkpoints) {
    // The key must name an attestation partition.
    if (record.key === null || !DECIMAL.test(record.key)) {
      return {
        ok: false,
        code: 'CHECKPOINT_SIGNATURE_INVALID',
        partition: -1,
        topic: 'checkpoints',
        offset: record.offset,
        sequence: null,
        detail: `checkpoint record key ${JSON.stringify(record.key)} names no partition`,
      };
    }
    const p = Number(record.key);
    byPartition.set(p, [...(byPartition.get(p) ?? []), record]);
  }
  const partitions: LogAuditReport['partitions'] = [];
  const all = new Set([...chains.keys(), ...byPartition.keys()]);
  for (const p of [...all].sort((a, b) => a - b)) {
    const chain = chains.get(p) ?? { partition: p, leaves: [], endOffset: '0' };
    const records = byPartition.get(p) ?? [];
    const result = auditCheckpoints(chain, records, input.attestationsTopic, ctx);
    if (!result.ok) return result;
    partitions.push({
      partition: p,
      size: chain.leaves.length,
      checkpoints: records.length,
      checkpointed: result.checkpointed,
    });
  }
  return {
    ok: true,
    attestations: partitions.reduce((n, p) => n + p.size, 0),
    checkpoints: input.checkpoints.length,
    partitions,
  };
}
