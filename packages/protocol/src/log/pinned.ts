import { fromBase64 } from '../encoding/bytes.js';
import { asArray, asInt, asObject, asString } from '../encoding/shape.js';
import { InclusionError, MerkleError } from '../errors.js';
import type { Checkpoint } from './checkpoint.js';
import { parseCheckpoint, parseSignedNote } from './checkpoint.js';
import { checkpointOrigin } from './ledgerlog.js';
import { verifyConsistency } from './merkle.js';

/**
 * The JSON form of a consistency proof in an evidence bundle: the tree of `size` leaves of
 * partition `partition` (the checkpoint a verifier pinned) and the tree the bundle's
 * `checkpoints[checkpoint]` signs are one log, the smaller a prefix of the larger (RFC 6962 §2.1.2,
 * from the smaller size to the larger).
 */
export interface PinnedConsistency {
  partition: number;
  /** Index into the bundle's `checkpoints`. */
  checkpoint: number;
  /** The tree size of the pinned checkpoint. */
  size: number;
  /** The proof, standard base64 of 32-byte hashes. */
  hashes: string[];
}

/** A pinned checkpoint as an exporter needs it: which partition, which size. */
export interface PinnedSize {
  partition: number;
  size: number;
}

/** Upper bound on a consistency proof: two paths of a tree of 2^63 leaves. */
const MAX_PROOF = 128;

/**
 * The origin and size a checkpoint note claims, unverified (an exporter proves consistency to
 * it; the verifier checks its signature).
 * @throws CheckpointError MALFORMED_NOTE or MALFORMED_CHECKPOINT.
 */
export function pinnedCheckpoint(note: string): Checkpoint {
  return parseCheckpoint(parseSignedNote(note).text);
}

/** The partition of `ledger` an origin names, or null when it names no partition of it. */
export function partitionOfOrigin(origin: string, ledger: string): number | null {
  const prefix = checkpointOrigin(ledger, 0).slice(0, -1);
  if (!origin.startsWith(prefix)) return null;
  const rest = origin.slice(prefix.length);
  if (!/^(?:0|[1-9][0-9]{0,9})$/.test(rest)) return null;
  const partition = Number(rest);
  return partition <= 2_147_483_647 ? partition : null;
}

/**
 * Reads one consistency proof from untrusted JSON.
 * @throws InclusionError CONSISTENCY_PROOF_INVALID for anything not in the documented shape.
 */
export function parsePinnedConsistency(value: unknown): PinnedConsistency {
  const fail = (what: string) => new InclusionError('CONSISTENCY_PROOF_INVALID', what);
  const o = asObject(value, 'consistency proof', fail);
  return {
    partition: asInt(o.partition, 'consistency.partition', fail),
    checkpoint: asInt(o.checkpoint, 'consistency.checkpoint', fail),
    size: asInt(o.size, 'consistency.size', fail),
    hashes: asArray(o.hashes, 'consistency.hashes', fail, MAX_PROOF).map((h) =>
      asString(h, 'consistency hash', fail, 64),
    ),
  };
}

/**
 * Verifies that the `pinned` checkpoint and `checkpoint` (both already verified, of one partition)
 * are one log: `proof` leads from the smaller tree's root to the larger's.
 * @throws InclusionError CONSISTENCY_PROOF_INVALID.
 */
export function verifyPinnedConsistency(
  pinned: Checkpoint,
  checkpoint: Checkpoint,
  proof: PinnedConsistency,
): void {
  const fail = (what: string, cause?: unknown) =>
    new InclusionError('CONSISTENCY_PROOF_INVALID', what, { cause });
  // The proof must be from the pinned tree's size.
  if (proof.size !== pinned.size)
    throw fail(`proof is from size ${proof.size}, the pinned checkpoint has ${pinned.size}`);
  let hashes: Uint8Array[];
  try {
    hashes = proof.hashes.map((h) => fromBase64(h));
  } catch (error) {
    throw fail('proof hash is not base64', error);
  }
  const [small, large] =
    pinned.size <= checkpoint.size ? [pinned, checkpoint] : [checkpoint, pinned];
  let ok: boolean;
  try {
    ok = verifyConsistency(small.size, large.size, hashes, small.root, large.root);
  } catch (error) {
    if (!(error instanceof MerkleError)) throw error;
    throw fail(`proof: ${error.message}`, error);
  }
  // The smaller tree must be a prefix of the larger: otherwise the log forked between them.
  if (!ok)
    throw fail(
      `the tree of ${small.size} is not a prefix of the tree of ${large.size} (a forked log)`,
    );
}
