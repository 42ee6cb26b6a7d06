import { pae } from '@lineage/protocol';
import type { SignatureCheck, TrustStore } from '@lineage/protocol';
import type { EnvelopeRecord } from '@lineage/schemas';
import type { ReadIntent } from './input.js';

/** At most this many carried parent attestations per intent are checked ahead; the rest in turn. */
const MAX_PARENTS_AHEAD = 64;
/** At most this many signatures per envelope are checked ahead. */
const MAX_SIGNATURES_AHEAD = 4;

/**
 * The signatures a batch of intents will be checked for, known before any is parsed: each
 * envelope signature (the agent's) and each carried parent attestation's, by a key the trust store
 * holds. Checking them ahead, on the Ed25519 thread, is only an optimisation: deciding still checks
 * every signature it relies on, and finds these remembered.
 */
export function signatureChecks(
  reads: readonly { type: string }[],
  trust: TrustStore,
): SignatureCheck[] {
  const checks: SignatureCheck[] = [];
  for (const read of reads) {
    if (read.type !== 'intent') continue;
    const { record } = read as ReadIntent;
    envelopeChecks(record.envelope, trust, checks);
    for (const parent of record.parent_attestations.slice(0, MAX_PARENTS_AHEAD))
      envelopeChecks(parent, trust, checks);
  }
  return checks;
}

// The checks of one envelope's signatures by trusted keys, appended to `into`.
function envelopeChecks(envelope: EnvelopeRecord, trust: TrustStore, into: SignatureCheck[]) {
  let message: Uint8Array | undefined;
  for (const s of envelope.signatures.slice(0, MAX_SIGNATURES_AHEAD)) {
    const key = trust.get(s.keyid);
    if (key === undefined) continue;
    message ??= pae(envelope.payload_type, envelope.payload);
    into.push({ signature: s.sig, message, publicKey: key.publicKey });
  }
}
