import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createKafka, topicNames } from '@lineage/kafka';
import { nodeEd25519, readKeyFile, readTrustStore } from '@lineage/keys';
import { stopOnSignals } from '@lineage/infra';
import { loadPolicy } from '@lineage/policy';
import { loadRuntimeManifest, runtimeHash } from './runtime.js';
import { startGovernance } from './service.js';

// Entry point: `tsx services/governance/src/main.ts --key <pem> --trust <json> --policy <json>`.
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
    trust: {
      type: 'string',
      default: process.env.LINEAGE_TRUST_STORE ?? '.lineage/truststore.json',
    },
    policy: { type: 'string', default: process.env.LINEAGE_POLICY ?? 'infra/policy/default.json' },
    'topic-prefix': { type: 'string', default: process.env.LINEAGE_TOPIC_PREFIX ?? '' },
    group: { type: 'string', default: process.env.LINEAGE_GROUP_ID ?? 'lineage-governance' },
    partitions: { type: 'string', default: process.env.LINEAGE_PARTITIONS ?? '6' },
  },
});

const logger = pino({ name: 'governance' });
const manifest = await loadRuntimeManifest();
// The manifest whose hash every attestation of this process names as `runtime_hash`.
logger.info({ manifest, runtimeHash: runtimeHash(manifest) }, 'runtime manifest');
const service = await startGovernance({
  kafka: createKafka({ brokers: values.brokers.split(','), clientId: 'lineage-governance' }),
  topics: topicNames(values['topic-prefix']),
  groupId: values.group,
  key: await readKeyFile(values.key),
  trust: await readTrustStore(values.trust),
  policy: loadPolicy(JSON.parse(await readFile(values.policy, 'utf8'))),
  ed25519: nodeEd25519(),
  runtimeHash: runtimeHash(manifest),
  partitions: Number(values.partitions),
  log: (msg, fields) => logger.info(fields ?? {}, msg),
});

stopOnSignals(
  () => service.stop(),
  logger,
  () => ({ stats: service.stats }),
);
