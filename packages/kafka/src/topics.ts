import type { Admin, ConfigResourceTypes, Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';

// The Kafka protocol's resource type of a topic (kafkajs' TOPIC_RESOURCE, which its
// CommonJS build does not expose as a named ESM export).
export const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
import { LineageKafkaError } from './errors.js';

/** The topic names one Lineage deployment uses. */
export interface TopicNames {
  intents: string;
  attestations: string;
  deadLetters: string;
  /** Approvers' resolutions of pending overrides; co-partitioned with intents. */
  overrides: string;
  /** Policy documents by hash; compacted, one partition. */
  policies: string;
  /** Signed Merkle checkpoints of the attestation partitions (C2SP notes), keyed by partition. */
  checkpoints: string;
}

/** Topic names, optionally under a prefix (tests give each run its own). */
export function topicNames(prefix = ''): TopicNames {
  return {
    intents: `${prefix}lineage.intents.v1`,
    attestations: `${prefix}lineage.attestations.v1`,
    deadLetters: `${prefix}lineage.intents.dlq.v1`,
    overrides: `${prefix}lineage.overrides.v1`,
    policies: `${prefix}lineage.policies.v1`,
    checkpoints: `${prefix}lineage.checkpoints.v1`,
  };
}

export interface TopicOptions {
  partitions?: number;
  /**
   * Copies of each partition; default the cluster's own `default.replication.factor` (3 on
   * `pnpm kafka cluster`, 1 on the single development broker), so a cluster gets topics that
   * survive a broker loss even if one of its brokers is briefly not live while they are created.
   */
  replicationFactor?: number;
}

/**
 * Creates the topics if missing: infinite retention, no compaction (the attestations topic is the
 * ledger), except the policies topic, which is compacted by policy hash and has one partition. The
 * checkpoints topic has one partition, keyed by attestation partition number, valued by the signed
 * checkpoint note (UTF-8), with the ledger's retention. The input topics (intents, overrides) stamp records with the broker's LogAppendTime.
 * Intents, attestations and overrides must have the same partition count so one governance
 * instance owns partition p of each and is the one writer of attestation partition p.
 * New topics get `min.insync.replicas = min(2, replication factor)`: with producers' `acks=all`, an
 * acknowledged record is on two brokers whenever the topic has two copies or more.
 * @throws LineageKafkaError TOPICS_NOT_COPARTITIONED when existing topics disagree.
 */
export async function ensureTopics(
  kafka: Kafka,
  names: TopicNames,
  options: TopicOptions = {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const replicationFactor = options.replicationFactor ?? (await configuredReplication(admin));
    const configs = topicConfigs(replicationFactor);
    const existing = new Set(await admin.listTopics());
    const specs = topicSpecs(names, options.partitions ?? 6, configs).filter(
      (t) => !existing.has(t.topic),
    );
    if (specs.length > 0) await createTopics(admin, specs, replicationFactor);
    // Input topics created before they used the broker's clock are moved onto it (upgrades).
    const older = [names.intents, names.overrides].filter((t) => existing.has(t));
    if (older.length > 0) await moveOntoBrokerClock(admin, older, configs.inputs);
    return await copartitionedCount(admin, names);
  } finally {
    await admin.disconnect();
  }
}

type ConfigEntries = { name: string; value: string }[];

/** The settings of each kind of topic: the ledger, inputs, and compacted topics. */
function topicConfigs(replicationFactor: number) {
  const common = [
    { name: 'retention.ms', value: '-1' },
    { name: 'retention.bytes', value: '-1' },
    { name: 'min.insync.replicas', value: String(Math.min(2, replicationFactor)) },
    { name: 'max.message.bytes', value: String(8 << 20) },
  ];
  const ledger = [...common, { name: 'cleanup.policy', value: 'delete' }];
  const compacted = [...common, { name: 'cleanup.policy', value: 'compact' }];
  // Inputs carry the broker's append time, not the producer's: governance bounds an intent's
  // claimed requested_at by it, so an agent cannot pick the time its claim is judged at.
  const inputs = [...ledger, { name: 'message.timestamp.type', value: 'LogAppendTime' }];
  return { ledger, compacted, inputs };
}

/** Every topic of a deployment with its partition count and settings. */
function topicSpecs(
  names: TopicNames,
  partitions: number,
  configs: ReturnType<typeof topicConfigs>,
): { topic: string; numPartitions: number; configEntries: ConfigEntries }[] {
  const { ledger, compacted, inputs } = configs;
  return [
    { topic: names.intents, numPartitions: partitions, configEntries: inputs },
    { topic: names.attestations, numPartitions: partitions, configEntries: ledger },
    { topic: names.overrides, numPartitions: partitions, configEntries: inputs },
    { topic: names.deadLetters, numPartitions: partitions, configEntries: ledger },
    { topic: names.policies, numPartitions: 1, configEntries: compacted },
    // Checkpoints: one partition (one total order of notes), kept forever like the ledger.
    { topic: names.checkpoints, numPartitions: 1, configEntries: ledger },
  ];
}

/** Creates the topics, waiting (up to 30 s) for brokers not live this moment, then for metadata. */
async function createTopics(
  admin: Admin,
  specs: ReturnType<typeof topicSpecs>,
  replicationFactor: number,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const outcome = await admin
      .createTopics({
        waitForLeaders: true,
        topics: specs.map((t) => ({ ...t, replicationFactor })),
      })
      .then(
        () => 'created' as const,
        (error: unknown) => {
          // Created, but the broker asked for leaders has not applied the new topics yet.
          if (isSettling(error)) return 'created' as const;
          // A broker of the cluster is not live this moment (restarting, fenced): wait for it.
          if (/replication factor/i.test(String(error)) && Date.now() < deadline)
            return 'retry' as const;
          throw error;
        },
      );
    if (outcome === 'created') break;
    await sleep(500);
  }
  await settledMetadata(
    admin,
    specs.map((t) => t.topic),
  );
}

/** Sets `message.timestamp.type=LogAppendTime` (with the input settings) where it is not set. */
async function moveOntoBrokerClock(
  admin: Admin,
  topics: string[],
  inputs: ConfigEntries,
): Promise<void> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: TOPIC_RESOURCE,
      name,
      configNames: ['message.timestamp.type'],
    })),
  });
  const stale = described.resources
    .filter((r) =>
      r.configEntries.some(
        (c) => c.configName === 'message.timestamp.type' && c.configValue !== 'LogAppendTime',
      ),
    )
    .map((r) => r.resourceName);
  if (stale.length > 0)
    await admin.alterConfigs({
      validateOnly: false,
      resources: stale.map((name) => ({
        type: TOPIC_RESOURCE,
        name,
        configEntries: inputs.map((c) => ({ name: c.name, value: c.value })),
      })),
    });
}

/**
 * The partition count intents, attestations and overrides share.
 * @throws LineageKafkaError TOPICS_NOT_COPARTITIONED when they differ.
 */
async function copartitionedCount(admin: Admin, names: TopicNames): Promise<number> {
  const copartitioned = [names.intents, names.attestations, names.overrides];
  const meta = await settledMetadata(admin, copartitioned);
  const counts = new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
  const first = counts.get(names.intents)!;
  for (const topic of copartitioned) {
    if (counts.get(topic) !== first) {
      throw new LineageKafkaError(
        'TOPICS_NOT_COPARTITIONED',
        `${names.intents} has ${first} partitions but ${topic} has ${counts.get(topic)}`,
      );
    }
  }
  return first;
}

/**
 * True for the answers of a broker that has not yet applied topics the controller just created
 * (on a cluster, brokers learn of new topics a moment apart).
 */
function isSettling(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE';
}

/**
 * The metadata of `topics` once the broker answering knows them all with a leader for every
 * partition, polling through {@link isSettling} answers for up to `timeoutMs`; after that the
 * metadata is returned as it is, or the last error thrown.
 */
async function settledMetadata(admin: Admin, topics: string[], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      const led = meta.topics.every((t) => t.partitions.every((p) => p.leader >= 0));
      if (led || Date.now() >= deadline) return meta;
    } catch (error) {
      if (!isSettling(error) || Date.now() >= deadline) throw error;
    }
    await sleep(100);
  }
}

/** kafkajs' ConfigResourceTypes.BROKER (a literal: kafkajs is CommonJS, see TOPIC_RESOURCE). */
const BROKER_RESOURCE = 4 as ConfigResourceTypes;

/** The cluster's `default.replication.factor`, read from a live broker; min(3, brokers) if unreadable. */
async function configuredReplication(admin: Admin): Promise<number> {
  const { brokers } = await admin.describeCluster();
  const fallback = Math.min(3, brokers.length);
  const id = brokers[0]?.nodeId;
  if (id === undefined) return fallback;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      { type: BROKER_RESOURCE, name: String(id), configNames: ['default.replication.factor'] },
    ],
  });
  const value = Number(described.resources[0]?.configEntries[0]?.configValue);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}
