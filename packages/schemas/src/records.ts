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
