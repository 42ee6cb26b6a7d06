import {
  ATTESTATION_PAYLOAD_TYPE,
  attestationDigest,
  buildStatement,
  encodeStatement,
  signEnvelope,
} from '@lineage/protocol';
import type { Digest, Predicate, RawEnvelope, Signer } from '@lineage/protocol';
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
 * and the digest of the attestation before it), the runtime, time and issuer, and is signed. The
 * batch is sealed in one call behind a {@link Signer}, so signing can move off the event loop (a
 * batched, asynchronous signer) by changing this step alone.
 */
export function seal(drafts: readonly Attest[], head: ChainHead, ctx: SealContext): Sealed[] {
  let { sequence, prev } = head;
  return drafts.map(({ draft, subjectDigest }) => {
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
    // Governance signs the statement; the next attestation chains to its digest.
    const envelope = signEnvelope(
      ATTESTATION_PAYLOAD_TYPE,
      encodeStatement(buildStatement(predicate, subjectDigest)),
      ctx.signer,
    );
    const digest = attestationDigest(envelope);
    sequence++;
    prev = digest;
    return { predicate, subjectDigest, envelope, digest };
  });
}
