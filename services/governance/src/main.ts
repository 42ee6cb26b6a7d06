import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { createKafka, topicNames, untilKafkaAnswers } from '@lineage/kafka';
import { nodeEd25519, readKeyFile, readTrustStore } from '@lineage/keys';
import { loadPolicy } from '@lineage/policy';
import {
  BrokersFlag,
  defaultBrokers,
  parseConfig,
  PositiveIntegerFlag,
  stopOnSignals,
  TextFlag,
} from '@lineage/runtime';
import { loadRuntimeManifest, runtimeHash } from './runtime.js';
import { startGovernance } from './service.js';

/** Governance's configuration, checked at start (RuntimeError CONFIG_INVALID names a bad flag). */
const Config = Type.Object({
  brokers: BrokersFlag,
  key: TextFlag('a key file path'),
  trust: TextFlag('a trust store path'),
  policy: TextFlag('a policy file path'),
  'topic-prefix': Type.String(),
  group: TextFlag('a consumer group id'),
  partitions: PositiveIntegerFlag(),
  'state-dir': Type.Optional(TextFlag('a directory path')),
  'memory-state': Type.Boolean(),
  'stats-interval': Type.Number({ minimum: 0, description: 'a number of seconds (0: never)' }),
  'session-timeout': PositiveIntegerFlag('ms'),
});

// Entry point: `tsx services/governance/src/main.ts --key <pem> --trust <json> --policy <json>`.
const values = parseConfig(Config, {
  brokers: { type: 'string', default: defaultBrokers() },
  key: {
    type: 'string',
    default: process.env.LINEAGE_GOVERNANCE_KEY ?? '.lineage/keys/governance.key',
  },
  trust: {
    type: 'string',
    default: process.env.LINEAGE_TRUST_STORE ?? '.lineage/truststore.json',
  },
  policy: { type: 'string', default: process.env.LINEAGE_POLICY ?? 'infra/policy/default.json' },
  'topic-prefix': { type: 'string', default: process.env.LINEAGE_TOPIC_PREFIX ?? '' },
  group: { type: 'string', default: process.env.LINEAGE_GROUP_ID ?? 'lineage-governance' },
  partitions: { type: 'string', default: process.env.LINEAGE_PARTITIONS ?? '6' },
  'state-dir': { type: 'string', default: process.env.LINEAGE_STATE_DIR },
  // State in memory, rebuilt from offset 0 on every acquisition: for comparison runs only.
  'memory-state': { type: 'boolean', default: false },
  'stats-interval': { type: 'string', default: process.env.LINEAGE_STATS_INTERVAL ?? '60' },
  'session-timeout': {
    type: 'string',
    default: process.env.LINEAGE_SESSION_TIMEOUT_MS ?? '30000',
  },
});

const logger = pino({ name: 'governance' });
const manifest = await loadRuntimeManifest();
// The manifest whose hash every attestation of this process names as `runtime_hash`.
logger.info({ manifest, runtimeHash: runtimeHash(manifest) }, 'runtime manifest');
// One broker of a cluster may be down while an instance starts: wait for the cluster to answer.
const service = await untilKafkaAnswers(
  async () =>
    startGovernance({
      kafka: createKafka({ brokers: values.brokers.split(','), clientId: 'lineage-governance' }),
      topics: topicNames(values['topic-prefix']),
      groupId: values.group,
      key: await readKeyFile(values.key),
      trust: await readTrustStore(values.trust),
      policy: loadPolicy(JSON.parse(await readFile(values.policy, 'utf8'))),
      ed25519: nodeEd25519(),
      runtimeHash: runtimeHash(manifest),
      partitions: values.partitions,
      sessionTimeoutMs: values['session-timeout'],
      stateDir: values['memory-state']
        ? undefined
        : (values['state-dir'] ?? join('.lineage', 'governance', values.group)),
      log: (msg, fields) => logger.info(fields ?? {}, msg),
    }),
  {
    onRetry: (error, attempt, delayMs) =>
      logger.warn({ error: String(error), attempt, delayMs }, 'kafka unavailable, retrying'),
  },
);

// Totals and memory now and then: what an operator watches for leaks and stalls.
const statsEvery = values['stats-interval'] * 1000;
const statsTimer =
  statsEvery > 0
    ? setInterval(() => {
        const { rss, heapUsed, external } = process.memoryUsage();
        logger.info(
          { stats: service.stats, partitions: service.partitions(), rss, heapUsed, external },
          'stats',
        );
      }, statsEvery)
    : undefined;
statsTimer?.unref();

stopOnSignals(
  () => service.stop(),
  logger,
  () => ({ stats: service.stats }),
);
