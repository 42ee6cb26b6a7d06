import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { databaseUrl, ensureDatabase, stopOnSignals } from '@lineage/infra';
import { createKafka, topicNames } from '@lineage/kafka';
import { createPool, isIdentifier } from '@lineage/store';
import { describeError, untilPostgresAnswers } from './availability.js';
import { ProjectorError } from './errors.js';
import { startProjector } from './service.js';

// Entry point: `tsx services/projector/src/main.ts [--brokers h:p,...] [--database-url url] [--schema lineage]
// [--topic-prefix p] [--group g] [--partitions n] [--session-timeout ms]`.
const { values } = parseArgs({
  options: {
    brokers: {
      type: 'string',
      default: process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`,
    },
    'database-url': { type: 'string', default: databaseUrl() },
    schema: { type: 'string', default: process.env.LINEAGE_SCHEMA ?? 'lineage' },
    'topic-prefix': { type: 'string', default: process.env.LINEAGE_TOPIC_PREFIX ?? '' },
    group: { type: 'string', default: process.env.LINEAGE_PROJECTOR_GROUP ?? 'lineage-projector' },
    partitions: { type: 'string', default: process.env.LINEAGE_PARTITIONS ?? '6' },
    'session-timeout': {
      type: 'string',
      default: process.env.LINEAGE_SESSION_TIMEOUT_MS ?? '30000',
    },
  },
});

const logger = pino({ name: 'projector' });
const partitions = Number(values.partitions);
if (!isIdentifier(values.schema))
  throw new ProjectorError('INVALID_ARGUMENT', `--schema must match ^[a-z_][a-z0-9_]{0,40}$`);
if (!Number.isInteger(partitions) || partitions < 1)
  throw new ProjectorError('INVALID_ARGUMENT', '--partitions must be a positive integer');
const sessionTimeout = Number(values['session-timeout']);
if (!Number.isInteger(sessionTimeout) || sessionTimeout < 1)
  throw new ProjectorError('INVALID_ARGUMENT', '--session-timeout must be a positive integer (ms)');

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
