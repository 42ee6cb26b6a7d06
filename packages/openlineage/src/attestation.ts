import { attestationDigest, fromDsse, parseStatement, ProtocolError } from '@lineage/protocol';
import type { Digest, RawEnvelope, Statement } from '@lineage/protocol';
import { OpenLineageError } from './errors.js';

/** An attestation read for mapping: its statement and its digest. */
export interface Attested {
  statement: Statement;
  /** SHA-256 (hex) of the DSSE payload. */
  digest: Digest;
}

/**
 * Reads a DSSE envelope (JSON shape, as stored in the projection or embedded in a bundle) into its
 * statement and digest. It checks the shape, not the signature: callers that act on the attestation
 * verify it first. Untrusted input yields a typed error, never a TypeError.
 * @throws OpenLineageError ATTESTATION_MALFORMED.
 */
export function readAttestation(envelope: unknown): Attested {
  return malformedAs(() => readEnvelope(fromDsse(envelope)));
}

/**
 * Reads a decoded envelope (as the attestations topic's Avro record carries it) into its statement
 * and digest; like {@link readAttestation}, it checks the shape, not the signature.
 * @throws OpenLineageError ATTESTATION_MALFORMED.
 */
export function readEnvelope(envelope: RawEnvelope): Attested {
  return malformedAs(() => ({
    statement: parseStatement(envelope.payload),
    digest: attestationDigest(envelope),
  }));
}

// Protocol errors (attacker-controlled bytes) become this package's typed error; others propagate.
function malformedAs<T>(read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (!(cause instanceof ProtocolError)) throw cause;
    throw new OpenLineageError('ATTESTATION_MALFORMED', `${cause.code}: ${cause.message}`, {
      cause,
    });
  }
}
