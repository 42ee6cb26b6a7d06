import type { Kafka } from 'kafkajs';
import type { Transport } from './transport.js';

/**
 * Produces each event to a Kafka topic (the OpenLineage Kafka transport), keyed by runId so every
 * event of a run lands on one partition in order. Idempotent producer, acks from all replicas.
 */
export async function kafkaTransport(kafka: Kafka, topic: string): Promise<Transport> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    name: `kafka:${topic}`,
    async send(event, body) {
      await producer.send({ topic, acks: -1, messages: [{ key: event.run.runId, value: body }] });
      return { type: 'sent' };
    },
    close: () => producer.disconnect(),
  };
}
