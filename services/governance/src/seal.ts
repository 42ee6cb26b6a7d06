import {
  ATTESTATION_PAYLOAD_TYPE,
  buildStatement,
  encodeStatement,
  pae,
  sha256Hex,
} from '@lineage/protocol';
import type { Digest, Predicate, RawEnvelope, Sha256, Signer } from '@lineage/protocol';
import type { Attest } from './outcome.js';

/** Where the next attestation goes: its partition's chain position and the digest before it. */
export interface ChainHead {
  partition: number;
  sequence: number;
  prev: Digest | null;
}

/** What sealing adds to a draft besides its position: who signs, for which runtime, when. */
export interface SealContext {
  /** Governance's signing key; its key id is every attestation's issuer. */
  signer: Signer;
  runtimeHash: Digest;
  now: () => Date;
  /** The SHA-256 primitive; pure JS when absent. */
  sha256?: Sha256;
}

/** A sealed attestation: its predicate, what it is about, the signed envelope and its digest. */
export interface Sealed {
  predicate: Predicate;
  subjectDigest: Digest;
  envelope: RawEnvelope;
  digest: Digest;
}

/**
 * Seals a batch's drafts in order: each takes the next position of the partition's chain (sequence
 * and the digest of the attestation before it), the runtime, time and issuer, and is signed. An
 * attestation's digest is that of its payload, so the chain is built first and the batch's
 * signatures then run together, off the event loop where the signer can ({@link Signer.signMany}).
 */
export async function seal(
  drafts: readonly Attest[],
  head: ChainHead,
  ctx: SealContext,
): Promise<Sealed[]> {
  let { sequence, prev } = head;
  const unsigned = drafts.map(({ draft, subjectDigest }) => {
    // The draft takes the next chain position.
    const predicate: Predicate = {
      ...draft,
      runtime_hash: ctx.runtimeHash,
      partition: head.partition,
      sequence,
      prev,
      issued_at: ctx.now().toISOString(),
      issuer: ctx.signer.keyid as Predicate['issuer'],
    };
    // The next attestation chains to the digest of this one's payload.
    const payload = encodeStatement(buildStatement(predicate, subjectDigest));
    const digest = sha256Hex(payload, ctx.sha256);
    sequence++;
    prev = digest;
    return { predicate, subjectDigest, payload, digest };
  });
  // Governance signs each statement (DSSE PAE); a batch's signatures are made together, off the
  // event loop in one hop where the signer can, however few: the event loop serves every
  // partition, and a hop costs less of it than even one signature.
  const signer = ctx.signer;
  const messages = unsigned.map(({ payload }) => pae(ATTESTATION_PAYLOAD_TYPE, payload));
  const signatures =
    signer.signMany !== undefined
      ? await signer.signMany(messages)
      : messages.map((m) => signer.sign(m));
  return unsigned.map(({ predicate, subjectDigest, payload, digest }, i) => ({
    predicate,
    subjectDigest,
    envelope: {
      payload_type: ATTESTATION_PAYLOAD_TYPE,
      payload,
      signatures: [{ keyid: signer.keyid, sig: signatures[i]! }],
    },
    digest,
  }));
}
