import { fromBase64, toBase64 } from '../encoding/bytes.js';
import type { Checkpoint } from './checkpoint.js';
import { InclusionError, MerkleError } from '../errors.js';
import type { Digest } from '../records/ids.js';
import type { PinnedConsistency } from './pinned.js';
import { attestationLeaf } from './ledgerlog.js';
import { verifyInclusion } from './merkle.js';
import { asArray, asInt, asObject, asString } from '../encoding/shape.js';

/**
 * The JSON form of one attestation's Merkle inclusion proof in an evidence bundle: the leaf at
 * `index` (= the attestation's sequence) of attestation partition `partition` is in the tree the
 * bundle's `checkpoints[checkpoint]` signs.
 */
export interface InclusionProof {
  /** The attestation digest (SHA-256 hex of its DSSE payload). */
  attestation: Digest;
  partition: number;
  index: number;
  /** Index into the bundle's `checkpoints`. */
  checkpoint: number;
  /** The audit path, leaf to root, standard base64 of 32-byte hashes. */
  hashes: string[];
}

/** A proof as a bundle builder receives it: the signed checkpoint note itself, raw hashes. */
export interface InclusionEvidence {
  attestation: Digest;
  partition: number;
  index: number;
  /** The signed checkpoint note text (C2SP signed note). */
  note: string;
  hashes: readonly Uint8Array[];
}

/**
 * A consistency proof as a bundle builder receives it: between the pinned tree of `size` leaves of
 * `partition` and the tree of `note` (one of the inclusion evidence's notes), raw hashes.
 */
export interface ConsistencyEvidence {
  partition: number;
  note: string;
  size: number;
  hashes: readonly Uint8Array[];
}

/**
 * What a bundle carries for inclusion: the ledger's name, the notes (deduplicated), the proofs, and
 * the consistency proofs to the checkpoints a verifier pinned.
 */
export interface BundledInclusion {
  /** The attestations topic the checkpoints' origins name. */
  ledger: string;
  checkpoints: string[];
  proofs: InclusionProof[];
  consistency: PinnedConsistency[];
}

/** Upper bound on an audit path: a tree of 2^63 leaves needs 63 hashes. */
const MAX_PATH = 64;

/**
 * Deduplicates the checkpoint notes of `evidence` and numbers the proofs against them, and the
 * consistency proofs (whose notes not among the evidence's are left out: no proof points at them).
 * @throws nothing: the notes and hashes are taken as they are (verification checks them).
 */
export function bundleInclusion(
  ledger: string,
  evidence: readonly InclusionEvidence[],
  pinned: readonly ConsistencyEvidence[] = [],
): BundledInclusion {
  const checkpoints: string[] = [];
  const indexOf = new Map<string, number>();
  const proofs = evidence.map((e): InclusionProof => {
    let checkpoint = indexOf.get(e.note);
    if (checkpoint === undefined) {
      checkpoint = checkpoints.push(e.note) - 1;
      indexOf.set(e.note, checkpoint);
    }
    return {
      attestation: e.attestation,
      partition: e.partition,
      index: e.index,
      checkpoint,
      hashes: e.hashes.map(toBase64),
    };
  });
  const consistency = pinned.flatMap((c): PinnedConsistency[] => {
    const checkpoint = indexOf.get(c.note);
    if (checkpoint === undefined) return [];
    return [{ partition: c.partition, checkpoint, size: c.size, hashes: c.hashes.map(toBase64) }];
  });
  return { ledger, checkpoints, proofs, consistency };
}

/**
 * Reads one inclusion proof from untrusted JSON.
 * @throws InclusionError INCLUSION_PROOF_INVALID for anything not in the documented shape.
 */
export function parseInclusionProof(value: unknown): InclusionProof {
  const fail = (what: string) => new InclusionError('INCLUSION_PROOF_INVALID', what);
  const o = asObject(value, 'proof', fail);
  const hashes = asArray(o.hashes, 'proof.hashes', fail, MAX_PATH).map((h) =>
    asString(h, 'proof hash', fail, 64),
  );
  return {
    attestation: asString(o.attestation, 'proof.attestation', fail, 64) as Digest,
    partition: asInt(o.partition, 'proof.partition', fail),
    index: asInt(o.index, 'proof.index', fail),
    checkpoint: asInt(o.checkpoint, 'proof.checkpoint', fail),
    hashes,
  };
}

/**
 * Verifies that the attestation with DSSE `payload`, at (`partition`, `sequence`) of the ledger, is
 * leaf `proof.index` of the tree `checkpoint` (already verified for `proof.partition`) commits to.
 * @throws InclusionError INCLUSION_PROOF_INVALID.
 */
export function verifyAttestationInclusion(
  payload: Uint8Array,
  position: { partition: number; sequence: number },
  proof: InclusionProof,
  checkpoint: Checkpoint,
): void {
  const fail = (what: string) => new InclusionError('INCLUSION_PROOF_INVALID', what);
  // The proof must be for the attestation's own partition and sequence.
  if (proof.partition !== position.partition || proof.index !== position.sequence) {
    throw fail(
      `proof is for partition ${proof.partition} index ${proof.index}, the attestation is at ` +
        `partition ${position.partition} sequence ${position.sequence}`,
    );
  }
  // The leaf must be inside the checkpoint's tree.
  if (proof.index >= checkpoint.size) {
    throw fail(`index ${proof.index} is not in a tree of ${checkpoint.size}`);
  }
  // Every path element must be base64 of a 32-byte hash.
  let hashes: Uint8Array[];
  try {
    hashes = proof.hashes.map((h) => fromBase64(h));
  } catch (error) {
    throw new InclusionError('INCLUSION_PROOF_INVALID', 'proof hash is not base64', {
      cause: error,
    });
  }
  // The audit path must lead from the attestation's leaf to the signed root.
  let ok: boolean;
  try {
    ok = verifyInclusion(
      attestationLeaf(payload),
      proof.index,
      checkpoint.size,
      hashes,
      checkpoint.root,
    );
  } catch (error) {
    if (!(error instanceof MerkleError)) throw error;
    throw new InclusionError('INCLUSION_PROOF_INVALID', `proof: ${error.message}`, {
      cause: error,
    });
  }
  if (!ok) throw fail('audit path does not lead to the checkpoint root');
}
