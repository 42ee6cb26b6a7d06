import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createKafka, topicNames, untilKafkaAnswers } from '@lineage/kafka';
import { nodeEd25519, readKeyFile } from '@lineage/keys';
import { stopOnSignals } from '@lineage/infra';
import { startCheckpointer } from './service.js';

// Entry point: `tsx services/checkpointer/src/main.ts --key <pem> [--every 1000] [--interval 10]`.
const { values } = parseArgs({
  options: {
    brokers: {
      type: 'string',
      default: process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`,
    },
    key: {
      type: 'string',
      default: process.env.LINEAGE_GOVERNANCE_KEY ?? '.lineage/keys/governance.key',
    },
    'topic-prefix': { type: 'string', default: process.env.LINEAGE_TOPIC_PREFIX ?? '' },
    every: { type: 'string', default: process.env.LINEAGE_CHECKPOINT_EVERY ?? '1000' },
    interval: { type: 'string', default: process.env.LINEAGE_CHECKPOINT_INTERVAL ?? '10' },
    partitions: { type: 'string', default: process.env.LINEAGE_PARTITIONS ?? '6' },
  },
});

const logger = pino({ name: 'checkpointer' });
const key = await readKeyFile(values.key);
// One broker of a cluster may be down while the checkpointer starts: wait for the cluster to answer.
const service = await untilKafkaAnswers(
  () =>
    startCheckpointer({
      kafka: createKafka({ brokers: values.brokers.split(','), clientId: 'lineage-checkpointer' }),
      topics: topicNames(values['topic-prefix']),
      key,
      ed25519: nodeEd25519(),
      every: Number(values.every),
      intervalMs: Number(values.interval) * 1000,
      partitions: Number(values.partitions),
      log: (msg, fields) => logger.info(fields ?? {}, msg),
    }),
  {
    onRetry: (error, attempt, delayMs) =>
      logger.warn({ error: String(error), attempt, delayMs }, 'kafka unavailable, retrying'),
  },
);
logger.info({ every: values.every, interval: values.interval }, 'checkpointer started');

stopOnSignals(
  () => service.stop(),
  logger,
  () => ({ stats: service.stats }),
);
