import { asArray, asString } from '../encoding/shape.js';
import { BundleError, InclusionError } from '../errors.js';
import { MAX_NOTE_LENGTH } from '../log/checkpoint.js';
import type { InclusionProof } from '../log/inclusion.js';
import { parseInclusionProof, verifyAttestationInclusion } from '../log/inclusion.js';
import type { VerifiedCheckpoint } from '../log/ledgercheckpoint.js';
import { checkWitnessQuorum, verifyLedgerCheckpoint } from '../log/ledgercheckpoint.js';
import type { PinnedConsistency } from '../log/pinned.js';
import {
  parsePinnedConsistency,
  partitionOfOrigin,
  pinnedCheckpoint,
  verifyPinnedConsistency,
} from '../log/pinned.js';
import { CheckpointError } from '../errors.js';
import type { VerifiedAttestation } from './attestation.js';
import type { TrustContext } from './bundle-checks.js';

/** What the proofs of a bundle are checked against: its ledger's name and checkpoint notes. */
interface ProofContext extends TrustContext {
  ledger: string;
  notes: string[];
  /** Checkpoints already verified, by `checkpoint/partition`. */
  checked: Map<string, VerifiedCheckpoint>;
}

/** What the proofs of a bundle establish. */
export interface ProvenInclusion {
  /** Digests of the attestations proven included. */
  proven: Set<string>;
  /** Partitions of the pinned checkpoints proven consistent with the bundle's checkpoints. */
  pinned: number[];
}

/**
 * Verifies the bundle's inclusion proofs (`ledger`, `checkpoints`, `proofs`; all absent is none),
 * then its consistency proofs to the checkpoints the verifier pinned (`pins`, signed notes).
 * @throws BundleError BUNDLE_MALFORMED, CHECKPOINT_INVALID, INCLUSION_PROOF_INVALID, the witness
 *   policy's codes, or CONSISTENCY_PROOF_INVALID (see {@link verifyPins}).
 */
export function verifyProofs(
  o: Record<string, unknown>,
  byDigest: ReadonlyMap<string, VerifiedAttestation>,
  payloads: ReadonlyMap<string, Uint8Array>,
  trust: TrustContext,
  pins: readonly string[] = [],
): ProvenInclusion {
  const proven = new Set<string>();
  if (o.proofs === undefined && o.checkpoints === undefined && o.ledger === undefined) {
    // Under a witness policy, evidence without any witnessed checkpoint proves no common view.
    if (trust.trust.witnessPolicy)
      throw new BundleError('WITNESS_QUORUM_MISSING', 'the bundle carries no checkpoint', null);
    return { proven, pinned: [] };
  }
  const fail = (what: string) => new BundleError('BUNDLE_MALFORMED', what, null);
  // Proofs need the ledger's name and the checkpoint notes they point at.
  const ledger = asString(o.ledger, 'ledger', fail, 1024);
  const notes = asArray(o.checkpoints, 'checkpoints', fail, 100_000).map((n) =>
    asString(n, 'checkpoint', fail, MAX_NOTE_LENGTH),
  );
  const raw = asArray(o.proofs, 'proofs', fail, 100_000);
  const ctx: ProofContext = { ...trust, ledger, notes, checked: new Map() };
  for (const value of raw) {
    // The proof must be for an attestation of the bundle, and the only one for it.
    const { proof, v } = naming(null, () => {
      const proof = parseInclusionProof(value);
      return { proof, v: provenAttestation(proof, byDigest) };
    });
    if (proven.has(v.digest)) throw fail(`two proofs for attestation ${v.digest}`);
    // The proof must lead from the attestation's leaf to a checkpoint signed for its partition.
    naming(v.predicate.execution_id, () => verifyProof(proof, v, payloads.get(v.digest)!, ctx));
    proven.add(v.digest);
  }
  return { proven, pinned: naming(null, () => verifyPins(o.consistency, pins, ctx)) };
}

/**
 * Each pinned checkpoint (a note the verifier holds) of a partition of the bundle's ledger must be
 * signed like any checkpoint, and every bundled checkpoint of that partition that a proof uses
 * must come with a consistency proof from it that verifies: the bundle's view of the log extends
 * (or is extended by) the pinned one. A pin of a partition no proof of the bundle uses, or of
 * another log, is not applicable and is left out of the answer.
 * @throws InclusionError CHECKPOINT_INVALID (a pin's signature), CONSISTENCY_PROOF_INVALID.
 */
function verifyPins(raw: unknown, pins: readonly string[], ctx: ProofContext): number[] {
  const proofs: PinnedConsistency[] =
    raw === undefined
      ? []
      : asArray(
          raw,
          'consistency',
          (what) => new InclusionError('CONSISTENCY_PROOF_INVALID', what),
          100_000,
        ).map(parsePinnedConsistency);
  const pinned = new Set<number>();
  for (const note of pins) {
    let origin: string;
    try {
      origin = pinnedCheckpoint(note).origin;
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      throw new InclusionError('CHECKPOINT_INVALID', `pinned checkpoint: ${error.message}`);
    }
    const partition = partitionOfOrigin(origin, ctx.ledger);
    if (partition === null) continue;
    const used = [...ctx.checked].filter(([memo]) => memo.split('/')[1] === String(partition));
    if (used.length === 0) continue;
    const pin = verifyLedgerCheckpoint(note, ctx.ledger, partition, ctx);
    for (const [memo, checkpoint] of used) {
      const index = Number(memo.split('/')[0]);
      const proof = proofs.find(
        (p) => p.partition === partition && p.checkpoint === index && p.size === pin.size,
      );
      if (!proof)
        throw new InclusionError(
          'CONSISTENCY_PROOF_INVALID',
          `no consistency proof between the pinned checkpoint of partition ${partition} (size ${pin.size}) and checkpoint ${index}`,
        );
      verifyPinnedConsistency(pin, checkpoint, proof);
    }
    pinned.add(partition);
  }
  return [...pinned].sort((a, b) => a - b);
}

// The attestation a proof is for; it must be in the bundle.
function provenAttestation(
  proof: InclusionProof,
  byDigest: ReadonlyMap<string, VerifiedAttestation>,
): VerifiedAttestation {
  const v = byDigest.get(proof.attestation);
  if (!v)
    throw new InclusionError(
      'INCLUSION_PROOF_INVALID',
      `proof for ${proof.attestation}, which is not in the bundle`,
    );
  return v;
}

// One proof against its bundled checkpoint.
function verifyProof(
  proof: InclusionProof,
  v: VerifiedAttestation,
  payload: Uint8Array,
  ctx: ProofContext,
): void {
  // The proof must be for the attestation's own partition and sequence.
  if (proof.partition !== v.predicate.partition || proof.index !== v.predicate.sequence)
    throw new InclusionError(
      'INCLUSION_PROOF_INVALID',
      `proof is for ${proof.partition}/${proof.index}, the attestation is at ` +
        `${v.predicate.partition}/${v.predicate.sequence}`,
    );
  // The proof must point at a bundled checkpoint.
  const note = ctx.notes[proof.checkpoint];
  if (note === undefined)
    throw new InclusionError(
      'INCLUSION_PROOF_INVALID',
      `checkpoint ${proof.checkpoint} is not in the bundle`,
    );
  // The checkpoint must be signed by a trusted governance key for this partition of the ledger.
  const memo = `${proof.checkpoint}/${proof.partition}`;
  let checkpoint = ctx.checked.get(memo);
  if (!checkpoint) {
    checkpoint = verifyLedgerCheckpoint(note, ctx.ledger, proof.partition, ctx);
    // Under a witness policy, a quorum of its witnesses must have cosigned the checkpoint.
    checkWitnessQuorum(note, ctx);
    ctx.checked.set(memo, checkpoint);
  }
  // The attestation's leaf must be in the checkpoint's tree at its own position.
  verifyAttestationInclusion(payload, v.predicate, proof, checkpoint);
}

// Runs a check, turning its InclusionError into a BundleError naming `executionId`.
function naming<T>(executionId: string | null, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InclusionError)
      throw new BundleError(error.code, error.message, executionId, { cause: error });
    throw error;
  }
}
