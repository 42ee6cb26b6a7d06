import { ProtocolError } from '../errors.js';
import type { Digest } from '../records/ids.js';
import { parseStatement } from '../records/statement.js';
import type { VerifiedAttestation } from '../verify/attestation.js';
import { verifyAttestation } from '../verify/attestation.js';
import type {
  Chain,
  LedgerPartition,
  LedgerRecord,
  LogAuditContext,
  LogAuditProblem,
} from './audit-report.js';
import { problemIn } from './audit-report.js';

/** The chain of one partition as far as it has been read. */
interface ChainSoFar {
  partition: number;
  /** Where each claimed sequence occurs (by record index), so a gap can look ahead. */
  claimedAt: ReadonlyMap<number, number[]>;
  digests: Digest[];
  leaves: Uint8Array[];
  problem: ReturnType<typeof problemIn>;
}

/**
 * Audits one attestation partition: every record decodes, verifies, and is the next link of the
 * partition's hash chain in sequence order.
 * @returns the chain's leaves, or the first problem found.
 */
export function auditChain(
  input: LedgerPartition,
  ctx: LogAuditContext,
): { ok: true; chain: Chain } | LogAuditProblem {
  const chain: ChainSoFar = {
    partition: input.partition,
    claimedAt: claimedSequences(input.records),
    digests: [],
    leaves: [],
    problem: problemIn(input.partition, 'attestations'),
  };
  for (const [i, record] of input.records.entries()) {
    // The record must decode and verify as a governance attestation.
    const verified = verifyRecord(record, chain, ctx);
    if ('ok' in verified) return verified;
    // It must be the next record of this partition's chain.
    const misplaced = placeRecord(record, i, verified, chain);
    if (misplaced) return misplaced;
    chain.digests.push(verified.digest);
    chain.leaves.push(record.envelope!.payload);
  }
  return {
    ok: true,
    chain: { partition: input.partition, leaves: chain.leaves, endOffset: endOf(input) },
  };
}

// Where each claimed sequence occurs, by record index.
function claimedSequences(records: readonly LedgerRecord[]): Map<number, number[]> {
  const claimedAt = new Map<number, number[]>();
  records.forEach((r, i) => {
    const s = claimedSequence(r);
    if (s !== null) claimedAt.set(s, [...(claimedAt.get(s) ?? []), i]);
  });
  return claimedAt;
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

// The record as a verified attestation, or RECORD_ALTERED.
function verifyRecord(
  record: LedgerRecord,
  chain: ChainSoFar,
  ctx: LogAuditContext,
): VerifiedAttestation | LogAuditProblem {
  // The record must decode to an envelope.
  if (record.envelope === null) {
    return chain.problem(
      'RECORD_ALTERED',
      record.offset,
      null,
      'record does not decode as an attestation',
    );
  }
  // The governance signature and the statement must verify.
  try {
    return verifyAttestation(record.envelope, ctx);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return chain.problem(
      'RECORD_ALTERED',
      record.offset,
      claimedSequence(record),
      `attestation does not verify: ${e.code}`,
    );
  }
}

// Null when the record (at index `i`) is the chain's next link; else what is wrong with its place.
function placeRecord(
  record: LedgerRecord,
  i: number,
  { predicate, digest }: VerifiedAttestation,
  chain: ChainSoFar,
): LogAuditProblem | null {
  const { partition: p, digests, problem } = chain;
  const seq = predicate.sequence;
  const expected = chain.leaves.length;
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
  if (seq > expected) return skipped(record, i, seq, chain);
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
  return null;
}

// A record ahead of the next sequence: RECORD_REORDERED when that one comes later, else RECORD_DELETED.
function skipped(record: LedgerRecord, i: number, seq: number, chain: ChainSoFar): LogAuditProblem {
  const expected = chain.leaves.length;
  const later = (chain.claimedAt.get(expected) ?? []).some((j) => j > i);
  return later
    ? chain.problem(
        'RECORD_REORDERED',
        record.offset,
        seq,
        `sequence ${seq} comes before sequence ${expected}`,
      )
    : chain.problem(
        'RECORD_DELETED',
        record.offset,
        expected,
        `sequence ${expected}${seq - 1 > expected ? `..${seq - 1}` : ''} missing before ${seq}`,
      );
}

// The partition's end offset: as read, or the last record's + 1.
function endOf(p: LedgerPartition): string {
  if (p.endOffset !== undefined) return p.endOffset;
  const last = p.records[p.records.length - 1];
  return last === undefined ? '0' : (BigInt(last.offset) + 1n).toString();
}
