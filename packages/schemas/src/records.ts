// TypeScript views of the records in schemas/*.avsc (latest versions). Avro `bytes` are Buffers.

/** `dev.lineage.v1.Envelope`: a DSSE envelope; `payload` holds the exact signed bytes. */
export interface EnvelopeRecord {
  payload_type: string;
  payload: Buffer;
  signatures: { keyid: string; sig: Buffer }[];
}

/** `dev.lineage.v1.ExecutionIntent` (`lineage.intent.v<N>.avsc`). */
export interface IntentRecord {
  execution_id: string;
  envelope: EnvelopeRecord;
  parent_attestations: EnvelopeRecord[];
}

/** `dev.lineage.v1.Attestation` (`lineage.attestation.v<N>.avsc`). */
export interface AttestationRecord {
  execution_id: string;
  envelope: EnvelopeRecord;
}

/** `dev.lineage.v1.OverrideResolution` (`lineage.override.v<N>.avsc`). */
export interface OverrideRecord {
  execution_id: string;
  envelope: EnvelopeRecord;
  pending_attestation: EnvelopeRecord;
}

/** `dev.lineage.v1.PolicyDocument` (`lineage.policy.v<N>.avsc`). */
export interface PolicyRecord {
  hash: string;
  id: string;
  version: number;
  /** RFC 8785 canonical JSON of the policy document. */
  document: string;
  /** RFC 3339 UTC. */
  activated_at: string;
}

/** `dev.lineage.v1.DeadLetter` (`lineage.dead-letter.v<N>.avsc`). */
export interface DeadLetterRecord {
  source_topic: string;
  source_partition: number;
  /** Kafka offset as a decimal string (64-bit). */
  source_offset: string;
  raw_key: Buffer | null;
  raw_value: Buffer | null;
  reason: string;
  detail: string;
  /** RFC 3339 UTC. */
  failed_at: string;
}

/** Any envelope whose payload and signatures are bytes (e.g. the protocol's RawEnvelope). */
export interface EnvelopeLike {
  payload_type: string;
  payload: Uint8Array;
  signatures: readonly { keyid: string; sig: Uint8Array }[];
}

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The Avro record form of an envelope (avsc's `bytes` wants Buffers); shares memory, no copy. */
export function envelopeRecord(envelope: EnvelopeLike): EnvelopeRecord {
  return {
    payload_type: envelope.payload_type,
    payload: asBuffer(envelope.payload),
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: asBuffer(s.sig) })),
  };
}
