// Writes fixture records to a topic of the real broker.
import type { Kafka, Message } from 'kafkajs';

/** A record to produce: its key (the execution id) and Avro value. */
export interface KeyedValue {
  executionId: string;
  value: Buffer;
}

/**
 * Appends `messages` to `topic` in order, `perSend` per send (default: one send), pausing `gapMs`
 * between sends (so consumers work while a test injects faults).
 */
export async function appendMessages(
  kafka: Kafka,
  topic: string,
  messages: readonly Message[],
  perSend = messages.length,
  gapMs = 0,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += perSend) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + perSend) });
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    await producer.disconnect();
  }
}

/** Appends fixture attestations to `topic`, keyed by execution id; see {@link appendMessages}. */
export function appendLedger(
  kafka: Kafka,
  topic: string,
  ledger: readonly KeyedValue[],
  perSend = 10,
  gapMs = 0,
): Promise<void> {
  const messages = ledger.map((a) => ({ key: a.executionId, value: a.value }));
  return appendMessages(kafka, topic, messages, perSend, gapMs);
}
