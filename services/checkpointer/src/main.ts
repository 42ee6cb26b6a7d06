import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { createKafka, topicNames, untilKafkaAnswers } from '@lineage/kafka';
import { nodeEd25519, readKeyFile } from '@lineage/keys';
import {
  BrokersFlag,
  defaultBrokers,
  parseConfig,
  PositiveIntegerFlag,
  stopOnSignals,
  TextFlag,
} from '@lineage/runtime';
import { startCheckpointer } from './service.js';

/** The checkpointer's configuration, checked at start (RuntimeError CONFIG_INVALID names a bad flag). */
const Config = Type.Object({
  brokers: BrokersFlag,
  key: TextFlag('a key file path'),
  'topic-prefix': Type.String(),
  every: PositiveIntegerFlag('attestations'),
  interval: Type.Number({ exclusiveMinimum: 0, description: 'a positive number (seconds)' }),
  partitions: PositiveIntegerFlag(),
  witnesses: Type.String({ description: 'comma-separated witness base URLs' }),
});

// Entry point: `tsx services/checkpointer/src/main.ts --key <pem> [--every 1000] [--interval 10]`.
const config = parseConfig(Config, {
  brokers: { type: 'string', default: defaultBrokers() },
  key: {
    type: 'string',
    default: process.env.LINEAGE_GOVERNANCE_KEY ?? '.lineage/keys/governance.key',
  },
  'topic-prefix': { type: 'string', default: process.env.LINEAGE_TOPIC_PREFIX ?? '' },
  every: { type: 'string', default: process.env.LINEAGE_CHECKPOINT_EVERY ?? '1000' },
  interval: { type: 'string', default: process.env.LINEAGE_CHECKPOINT_INTERVAL ?? '10' },
  partitions: { type: 'string', default: process.env.LINEAGE_PARTITIONS ?? '6' },
  witnesses: { type: 'string', default: process.env.LINEAGE_WITNESSES ?? '' },
});

const logger = pino({ name: 'checkpointer' });
const key = await readKeyFile(config.key);
// One broker of a cluster may be down while the checkpointer starts: wait for the cluster to answer.
const service = await untilKafkaAnswers(
  () =>
    startCheckpointer({
      kafka: createKafka({ brokers: config.brokers.split(','), clientId: 'lineage-checkpointer' }),
      topics: topicNames(config['topic-prefix']),
      key,
      ed25519: nodeEd25519(),
      every: config.every,
      intervalMs: config.interval * 1000,
      partitions: config.partitions,
      witnesses: config.witnesses.split(',').filter((w) => w.length > 0),
      log: (msg, fields) => logger.info(fields ?? {}, msg),
    }),
  {
    onRetry: (error, attempt, delayMs) =>
      logger.warn({ error: String(error), attempt, delayMs }, 'kafka unavailable, retrying'),
  },
);
logger.info({ every: config.every, interval: config.interval }, 'checkpointer started');

stopOnSignals(
  () => service.stop(),
  logger,
  () => ({ stats: service.stats }),
);
