// Writes fixture records to a topic of the real broker.
import type { Kafka } from 'kafkajs';

/** A record to produce: its key (the execution id) and Avro value. */
export interface KeyedValue {
  executionId: string;
  value: Buffer;
}

/**
 * Appends fixture attestations to `topic`, `perSend` per send, pausing `gapMs` between sends (so
 * consumers work while a test injects faults).
 */
export async function appendLedger(
  kafka: Kafka,
  topic: string,
  ledger: readonly KeyedValue[],
  perSend = 10,
  gapMs = 0,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < ledger.length; i += perSend) {
      const messages = ledger
        .slice(i, i + perSend)
        .map((a) => ({ key: a.executionId, value: a.value }));
      await producer.send({ topic, acks: -1, messages });
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    await producer.disconnect();
  }
}
