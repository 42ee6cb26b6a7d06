import { bytesEqual, toBase64 } from '../encoding/bytes.js';
import { InclusionError } from '../errors.js';
import type { Chain, CheckpointRecord, LogAuditContext, LogAuditProblem } from './audit-report.js';
import { problemIn } from './audit-report.js';
import type { Checkpoint } from './checkpoint.js';
import { verifyLedgerCheckpoint } from './ledgercheckpoint.js';
import { MerkleBuilder, consistencyProof, leafHash, verifyConsistency } from './merkle.js';

/** A checkpoint whose signature verified, and where it sits in the checkpoints topic. */
interface CheckpointAt extends Checkpoint {
  offset: string;
}

/**
 * Audits the signed checkpoints of one partition against its chain: each is well signed for the
 * partition, extends the one before it, and is matched by the ledger's own Merkle tree.
 * @returns the largest checkpointed size, or the first problem found.
 */
export function auditCheckpoints(
  chain: Chain,
  records: readonly CheckpointRecord[],
  attestationsTopic: string,
  ctx: LogAuditContext,
): { ok: true; checkpointed: number } | LogAuditProblem {
  // Every note must be a checkpoint of this partition's log, signed by a trusted governance key.
  const checkpoints = verifyNotes(chain.partition, records, attestationsTopic, ctx);
  if (!Array.isArray(checkpoints)) return checkpoints;
  // The ledger's root at every checkpointed size, from one pass over the leaves.
  const roots = rootsAt(chain.leaves, new Set(checkpoints.map((c) => c.size)));
  let previous: CheckpointAt | null = null;
  for (const cp of checkpoints) {
    // The ledger must hold, extend and match what each checkpoint signs.
    const problem = checkAgainstLedger(cp, previous, chain, roots);
    if (problem) return problem;
    previous = cp;
  }
  return { ok: true, checkpointed: Math.max(0, ...checkpoints.map((c) => c.size)) };
}

// The checkpoints of the notes in topic order, or CHECKPOINT_SIGNATURE_INVALID for the first bad one.
function verifyNotes(
  partition: number,
  records: readonly CheckpointRecord[],
  attestationsTopic: string,
  ctx: LogAuditContext,
): CheckpointAt[] | LogAuditProblem {
  const checkpoints: CheckpointAt[] = [];
  for (const record of records) {
    let cp: Checkpoint;
    try {
      cp = verifyLedgerCheckpoint(record.note, attestationsTopic, partition, ctx);
    } catch (e) {
      if (!(e instanceof InclusionError)) throw e;
      return problemIn(partition, 'checkpoints')(
        'CHECKPOINT_SIGNATURE_INVALID',
        record.offset,
        null,
        `checkpoint ${e.message}`,
      );
    }
    checkpoints.push({ ...cp, offset: record.offset });
  }
  return checkpoints;
}

// The RFC 6962 root of the first `size` leaves, for each of `sizes` the leaves reach.
function rootsAt(
  leaves: readonly Uint8Array[],
  sizes: ReadonlySet<number>,
): Map<number, Uint8Array> {
  const roots = new Map<number, Uint8Array>();
  const builder = new MerkleBuilder();
  if (sizes.has(0)) roots.set(0, builder.root());
  for (const leaf of leaves) {
    builder.append(leafHash(leaf));
    if (sizes.has(builder.size)) roots.set(builder.size, builder.root());
  }
  return roots;
}

// Null when the ledger holds `cp`'s tree, consistent with `previous`; else the problem.
function checkAgainstLedger(
  cp: CheckpointAt,
  previous: CheckpointAt | null,
  chain: Chain,
  roots: ReadonlyMap<number, Uint8Array>,
): LogAuditProblem | null {
  const problem = problemIn(chain.partition, 'checkpoints');
  // The ledger must hold every record a signed checkpoint covers.
  if (cp.size > chain.leaves.length) {
    return problemIn(chain.partition, 'attestations')(
      'LEDGER_TRUNCATED',
      chain.endOffset,
      chain.leaves.length,
      `partition holds ${chain.leaves.length} attestations, checkpoint at offset ${cp.offset} of the checkpoints topic signs ${cp.size}`,
    );
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
  return null;
}
