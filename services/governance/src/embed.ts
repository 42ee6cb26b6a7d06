import { toDsse } from '@lineage/protocol';
import type { DsseEnvelope, RawEnvelope } from '@lineage/protocol';

const MAX_EMBEDDED_INTENT = 64 * 1024;
const MAX_EMBEDDED_RESOLUTION = 64 * 1024;

// Within the limits parseStatement enforces on an embedded envelope.
function fits(env: RawEnvelope, maxPayload: number): boolean {
  return (
    env.payload.length <= maxPayload &&
    env.payload_type.length <= 256 &&
    env.signatures.length <= 16 &&
    env.signatures.every((s) => s.keyid.length <= 256 && s.sig.length <= 128)
  );
}

/** The intent envelope embedded in an attestation, when it fits the statement's limits. */
export function embeddable(env: RawEnvelope): DsseEnvelope | null {
  return fits(env, MAX_EMBEDDED_INTENT) ? toDsse(env) : null;
}

/** A resolution envelope embedded in an override or its refusal, when it fits the limits. */
export function embeddableResolution(env: RawEnvelope): DsseEnvelope | null {
  return fits(env, MAX_EMBEDDED_RESOLUTION) ? toDsse(env) : null;
}

/** The resolution with only its approver's signature: what an override must carry, always embeddable. */
export function approverOnly(env: RawEnvelope, approver: string): RawEnvelope {
  return {
    ...env,
    signatures: env.signatures
      .filter((s) => s.keyid === approver && s.sig.length === 64)
      .slice(0, 1),
  };
}
