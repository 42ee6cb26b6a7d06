import { parseArgs } from 'node:util';
import { destination, pino } from 'pino';
import { createKafka, topicNames, untilKafkaAnswers } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { nodeEd25519, readTrustStore } from '@lineage/keys';
import { stopOnSignals } from '@lineage/runtime';
import type { Kafka } from 'kafkajs';
import { EmitterError } from './errors.js';
import { startEmitter } from './service.js';
import { consoleTransport } from './transports/console.js';
import { httpTransport } from './transports/http.js';
import { kafkaTransport } from './transports/kafka.js';
import type { Transport } from './transports/transport.js';

// Entry point: `tsx services/openlineage-emitter/src/main.ts --transport http --url http://localhost:5000`
// (Marquez), `--transport kafka [--topic <t>]`, or `--transport console`.
const { values } = parseArgs({
  options: {
    brokers: {
      type: 'string',
      default: process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`,
    },
    'topic-prefix': { type: 'string', default: process.env.LINEAGE_TOPIC_PREFIX ?? '' },
    group: { type: 'string', default: 'lineage-openlineage-emitter' },
    transport: { type: 'string', default: process.env.OPENLINEAGE_TRANSPORT ?? 'console' },
    url: { type: 'string', default: process.env.OPENLINEAGE_URL },
    endpoint: { type: 'string', default: process.env.OPENLINEAGE_ENDPOINT ?? '/api/v1/lineage' },
    topic: { type: 'string' },
    namespace: { type: 'string', default: process.env.OPENLINEAGE_NAMESPACE ?? 'lineage' },
    trust: { type: 'string' },
    retries: { type: 'string', default: '5' },
  },
});

const logger = pino({ name: 'openlineage-emitter' }, destination(2));
const topics = topicNames(values['topic-prefix']);
const kafka = createKafka({ brokers: values.brokers.split(','), clientId: 'lineage-openlineage' });

/** The transport the flags name. The API key comes from OPENLINEAGE_API_KEY, never a flag. */
async function transportOf(kafka: Kafka, topics: TopicNames): Promise<Transport> {
  switch (values.transport) {
    case 'console':
      return consoleTransport();
    case 'kafka':
      return kafkaTransport(
        kafka,
        values.topic ?? topics.attestations.replace(/attestations/, 'openlineage'),
      );
    case 'http':
      if (values.url === undefined) throw new EmitterError('INVALID_OPTIONS', '--url is required');
      return httpTransport({
        url: values.url,
        endpoint: values.endpoint,
        apiKey: process.env.OPENLINEAGE_API_KEY,
        retries: Number(values.retries),
        onRetry: (error, attempt) => logger.warn({ error: error.message, attempt }, 'retrying'),
      });
    default:
      throw new EmitterError('INVALID_OPTIONS', `unknown transport ${values.transport}`);
  }
}

const transport = await transportOf(kafka, topics);
const trust = values.trust === undefined ? undefined : await readTrustStore(values.trust);
// One broker of a cluster may be down while the emitter starts: wait for the cluster to answer.
const service = await untilKafkaAnswers(
  () =>
    startEmitter({
      kafka,
      topics,
      transport,
      groupId: values.group,
      mapping: { namespace: values.namespace },
      verify: trust === undefined ? undefined : { trust, ed25519: nodeEd25519() },
      log: (msg, fields) => logger.info(fields ?? {}, msg),
    }),
  {
    onRetry: (error, attempt, delayMs) =>
      logger.warn({ error: String(error), attempt, delayMs }, 'kafka unavailable, retrying'),
  },
);
logger.info({ transport: transport.name, group: values.group }, 'openlineage emitter started');

stopOnSignals(
  () => service.stop(),
  logger,
  () => ({ stats: service.stats }),
);
