import type { Kafka } from 'kafkajs';
import { TransactionalProcessor } from '@lineage/kafka';
import type { Relay, RelayOptions } from './relay.js';

/**
 * Starts the exactly-once relay: the project's own transactional path (one transactional producer
 * per partition, read_committed, appends and offsets committed together) with a forwarding step in
 * place of governance — every record unchanged (key, value, headers) to the same partition of `to`.
 * What governance costs beyond it is governance's own work.
 * @throws KafkaJSError when the consumer or a producer cannot connect.
 */
export async function startEosRelay(kafka: Kafka, options: RelayOptions): Promise<Relay> {
  let relayed = 0;
  const processor = new TransactionalProcessor<null>({
    kafka,
    groupId: options.groupId,
    inputTopics: [options.from],
    transactionalIdPrefix: `${options.groupId}-${options.from}`,
    restore: (partitions) => Promise.resolve(new Map(partitions.map((p) => [p, null]))),
    process: (_state, _topic, partition, messages) => ({
      sends: [
        {
          topic: options.to,
          messages: messages.map((m) => ({
            key: m.key,
            value: m.value,
            headers: m.headers,
            partition,
          })),
        },
      ],
      onCommit: () => undefined,
    }),
    onCommitted: (_topic, _partition, count) => {
      relayed += count;
    },
  });
  await processor.start();
  return { relayed: () => relayed, stop: () => processor.stop() };
}
