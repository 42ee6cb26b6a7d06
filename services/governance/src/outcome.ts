import type { DeadLetterReason, Digest, Predicate } from '@lineage/protocol';

/** The predicate fields an outcome decides; position, time, issuer and runtime are added on sealing. */
export type Draft = Omit<
  Predicate,
  'partition' | 'sequence' | 'prev' | 'issued_at' | 'issuer' | 'runtime_hash'
>;

/** An attestation to append: its draft, and the digest of what it is about (intent or resolution). */
export interface Attest {
  type: 'attest';
  draft: Draft;
  subjectDigest: Digest;
}

/**
 * What one input record became: a new attestation, nothing new (the identical record was already
 * answered), or a dead letter.
 */
export type Outcome =
  | Attest
  | { type: 'redelivery' }
  | { type: 'dead-letter'; reason: DeadLetterReason; detail: string };

/** Which input topic a batch came from. */
export type Source = 'intent' | 'override';
