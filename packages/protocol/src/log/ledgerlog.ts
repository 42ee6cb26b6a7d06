import type { Signer } from '../encoding/ed25519.js';
import type { Checkpoint } from './checkpoint.js';
import { formatCheckpoint, signCheckpoint } from './checkpoint.js';
import { cosignLine } from './cosignature.js';
import { leafHash } from './merkle.js';

/**
 * The Merkle log over one attestation partition (ARCHITECTURE.md §3.5): leaf i is the attestation
 * at sequence i of that partition, and its RFC 6962 leaf input is the attestation's DSSE payload —
 * the canonical statement bytes, which hold its partition, sequence and previous digest — so any
 * verifier holding the envelope recomputes the leaf without our Avro wire format.
 */
export function attestationLeaf(payload: Uint8Array): Uint8Array {
  return leafHash(payload);
}

/**
 * The C2SP checkpoint origin line of one attestation partition's log: it names the ledger (its
 * attestations topic) and the partition, so a checkpoint of one partition never passes for another.
 */
export function checkpointOrigin(attestationsTopic: string, partition: number): string {
  return `lineage.dev/ledger/${attestationsTopic}/${partition}`;
}

/**
 * Checkpoint rule 1 (the first checkpoints, still verifiable): the signed-note key name of a
 * checkpoint signer was `lineage-<keyid>` whatever the origin. Rule 2 names the key by the origin
 * (c2sp.org/tlog-checkpoint) and is what {@link signLedgerCheckpoint} writes.
 */
export function checkpointKeyName(keyid: string): string {
  return `lineage-${keyid}`;
}

/** The checkpoint rule {@link signLedgerCheckpoint} follows; see {@link checkpointKeyName}. */
export const CHECKPOINT_RULE = 2;

/**
 * Signs a partition checkpoint under rule 2: an Ed25519 note signature by the governance key under
 * the key name = origin (what off-the-shelf C2SP tooling verifies), and a `cosignature/v1` line by
 * the same key and name carrying the POSIX time of signing, so the key's validity window applies.
 * @throws CheckpointError MALFORMED_CHECKPOINT or MALFORMED_NOTE.
 */
export function signLedgerCheckpoint(
  checkpoint: Checkpoint,
  key: { signer: Signer; publicKey: Uint8Array },
  time: number,
): string {
  const body = formatCheckpoint(checkpoint);
  const note = signCheckpoint(body, checkpoint.origin, key.signer, key.publicKey);
  return note + cosignLine(body, checkpoint.origin, key.signer, key.publicKey, time);
}
