import type { RawEnvelope, VerifiedAttestation } from '@lineage/protocol';

/** A verified attestation with the envelope it came in. */
export interface ReceivedAttestation {
  envelope: RawEnvelope;
  verified: VerifiedAttestation;
}
