import type { Kafka } from 'kafkajs';

/** Where the bare relay reads and writes. */
export interface RelayOptions {
  groupId: string;
  from: string;
  to: string;
  /** Partitions handled concurrently; governance handles all of its partitions concurrently too. */
  partitions: number;
}

/** A running bare relay. */
export interface Relay {
  /** Records relayed so far (acknowledged by the broker). */
  relayed(): number;
  stop(): Promise<void>;
}

/**
 * Starts the baseline: a consumer group reads `from` and, per fetched batch, writes every record
 * unchanged (key, value, headers, same partition) to `to` with one `acks: -1` send through an
 * idempotent producer. No decoding, verification or signing; offsets are auto-committed.
 * @throws KafkaJSError when the consumer or producer cannot connect.
 */
export async function startRelay(kafka: Kafka, options: RelayOptions): Promise<Relay> {
  const consumer = kafka.consumer({ groupId: options.groupId, maxBytesPerPartition: 1 << 20 });
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
  await Promise.all([consumer.connect(), producer.connect()]);
  let relayed = 0;
  await consumer.subscribe({ topic: options.from, fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    partitionsConsumedConcurrently: options.partitions,
    eachBatch: async ({ batch }) => {
      if (batch.messages.length === 0) return;
      await producer.send({
        topic: options.to,
        acks: -1,
        messages: batch.messages.map((m) => ({
          key: m.key,
          value: m.value,
          headers: m.headers,
          partition: batch.partition,
        })),
      });
      relayed += batch.messages.length;
    },
  });
  return {
    relayed: () => relayed,
    stop: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
