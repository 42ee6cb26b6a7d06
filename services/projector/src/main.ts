import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { createKafka, topicNames } from '@lineage/kafka';
import {
  BrokersFlag,
  databaseUrl,
  DatabaseUrlFlag,
  defaultBrokers,
  ensureDatabase,
  parseConfig,
  PositiveIntegerFlag,
  SchemaFlag,
  stopOnSignals,
  TextFlag,
} from '@lineage/runtime';
import { createPool } from '@lineage/store';
import { describeError, untilPostgresAnswers } from './availability.js';
import { startProjector } from './service.js';

/** The projector's configuration, checked at start (RuntimeError CONFIG_INVALID names a bad flag). */
const Config = Type.Object({
  brokers: BrokersFlag,
  'database-url': DatabaseUrlFlag,
  schema: SchemaFlag,
  'topic-prefix': Type.String(),
  group: TextFlag('a consumer group id'),
  partitions: PositiveIntegerFlag(),
  'session-timeout': PositiveIntegerFlag('ms'),
});

// Entry point: `tsx services/projector/src/main.ts [--brokers h:p,...] [--database-url url] [--schema lineage]
// [--topic-prefix p] [--group g] [--partitions n] [--session-timeout ms]`.
const values = parseConfig(Config, {
  brokers: { type: 'string', default: defaultBrokers() },
  'database-url': { type: 'string', default: databaseUrl() },
  schema: { type: 'string', default: process.env.LINEAGE_SCHEMA ?? 'lineage' },
  'topic-prefix': { type: 'string', default: process.env.LINEAGE_TOPIC_PREFIX ?? '' },
  group: { type: 'string', default: process.env.LINEAGE_PROJECTOR_GROUP ?? 'lineage-projector' },
  partitions: { type: 'string', default: process.env.LINEAGE_PARTITIONS ?? '6' },
  'session-timeout': {
    type: 'string',
    default: process.env.LINEAGE_SESSION_TIMEOUT_MS ?? '30000',
  },
});
const logger = pino({ name: 'projector' });
const { partitions, 'session-timeout': sessionTimeout } = values;

const url = values['database-url'];
// A projector started while Postgres restarts waits for it instead of exiting.
const waitForPostgres = <T>(work: () => Promise<T>): Promise<T> =>
  untilPostgresAnswers(work, {
    onRetry: (error, attempt, delayMs) =>
      logger.warn({ ...describeError(error), attempt, delayMs }, 'postgres unavailable, retrying'),
  });
await waitForPostgres(() => ensureDatabase(url));
const pool = createPool(url, {
  // A connection lost mid-batch rolls the batch back; it is retried once Postgres answers.
  onConnectionError: (error) => logger.warn(describeError(error), 'postgres connection lost'),
});
const projector = await waitForPostgres(() =>
  startProjector({
    kafka: createKafka({ brokers: values.brokers.split(','), clientId: 'lineage-projector' }),
    pool,
    schema: values.schema,
    topics: topicNames(values['topic-prefix']),
    groupId: values.group,
    partitions,
    // A killed instance's partitions move to the others once its session times out.
    consumer: {
      sessionTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)),
    },
    log: (msg, fields) =>
      msg === 'record skipped' ? logger.warn(fields ?? {}, msg) : logger.info(fields ?? {}, msg),
    onCrash: (error) => {
      logger.error({ err: error }, 'projection crashed');
      void pool.end().finally(() => process.exit(1));
    },
  }),
);

stopOnSignals(() => projector.stop().then(() => pool.end()), logger);
