import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { OpenLineageError, readEnvelope } from '@lineage/openlineage';
import type { Attested } from '@lineage/openlineage';
import { attestationCodec, SchemaError } from '@lineage/schemas';

/** A reader of the whole ledger that feeds every attestation to the run graph. */
export interface GraphFeed {
  /** True once the record at `offset` of `partition` (and all before it) has been fed. */
  reached(partition: number, offset: bigint): boolean;
  stop(): Promise<void>;
}

/**
 * Reads every partition of the attestations topic from offset 0 (read_committed, a consumer group
 * of its own, nothing committed) and hands each attestation to `learn`. The emitting consumer group
 * owns only some partitions, while an event names parents from any of them: this reader is how each
 * instance knows them all. Records that are not attestations are passed over.
 */
export async function startGraphFeed(
  kafka: Kafka,
  topic: string,
  learn: (attested: Attested) => void,
): Promise<GraphFeed> {
  // The next offset fed per partition; a restarted consumer may hand records again.
  const next = new Map<number, bigint>();
  const consumer = kafka.consumer({
    groupId: `lineage-openlineage-graph-${randomUUID()}`,
    readUncommitted: false,
    maxBytes: 16 << 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const offset = BigInt(message.offset);
        if (offset < (next.get(batch.partition) ?? 0n)) continue;
        const attested = decode(message.value);
        if (attested !== null) learn(attested);
        next.set(batch.partition, offset + 1n);
      }
    },
  });
  return {
    reached: (partition, offset) => (next.get(partition) ?? 0n) > offset,
    stop: () => consumer.disconnect(),
  };
}

/**
 * An attestations-topic value as an attestation, or null when it is not one (bytes from the
 * ledger are untrusted: a typed error from either decoder means "not an attestation").
 */
export function decode(value: Buffer | null): Attested | null {
  if (value === null) return null;
  try {
    return readEnvelope(attestationCodec.decode(value).envelope);
  } catch (e) {
    if (e instanceof SchemaError || e instanceof OpenLineageError) return null;
    throw e;
  }
}
