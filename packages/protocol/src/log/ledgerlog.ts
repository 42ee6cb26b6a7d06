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
 * The signed-note key name of a checkpoint signer: its key id (SHA-256 hex of the raw key), which
 * ties the note signature to the trust-store entry (role `governance`) that vouches for it.
 */
export function checkpointKeyName(keyid: string): string {
  return `lineage-${keyid}`;
}
