import type { Kafka } from 'kafkajs';
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
}

/** Topic names, optionally under a prefix (tests give each run its own). */
export function topicNames(prefix = ''): TopicNames {
  return {
    intents: `${prefix}lineage.intents.v1`,
    attestations: `${prefix}lineage.attestations.v1`,
    deadLetters: `${prefix}lineage.intents.dlq.v1`,
    overrides: `${prefix}lineage.overrides.v1`,
    policies: `${prefix}lineage.policies.v1`,
  };
}

export interface TopicOptions {
  partitions?: number;
  replicationFactor?: number;
}

/**
 * Creates the topics if missing: infinite retention, no compaction (the attestations topic is the
 * ledger). Intents and attestations must have the same partition count so one governance instance
 * owns intent partition p and attestation partition p.
 * @throws LineageKafkaError TOPICS_NOT_COPARTITIONED when existing topics disagree.
 */
export async function ensureTopics(
  kafka: Kafka,
  names: TopicNames,
  options: TopicOptions = {},
): Promise<number> {
  const partitions = options.partitions ?? 6;
  const replicationFactor = options.replicationFactor ?? 1;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const configEntries = [
      { name: 'retention.ms', value: '-1' },
      { name: 'retention.bytes', value: '-1' },
      { name: 'cleanup.policy', value: 'delete' },
      { name: 'min.insync.replicas', value: String(Math.min(2, replicationFactor)) },
      { name: 'max.message.bytes', value: String(8 << 20) },
    ];
    const existing = new Set(await admin.listTopics());
    const wanted = [names.intents, names.attestations, names.deadLetters].filter(
      (t) => !existing.has(t),
    );
    if (wanted.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor,
          configEntries,
        })),
      });
    }
    const meta = await admin.fetchTopicMetadata({ topics: [names.intents, names.attestations] });
    const counts = meta.topics.map((t) => t.partitions.length);
    if (counts[0] !== counts[1]) {
      throw new LineageKafkaError(
        'TOPICS_NOT_COPARTITIONED',
        `${names.intents} has ${counts[0]} partitions but ${names.attestations} has ${counts[1]}`,
      );
    }
    return counts[0]!;
  } finally {
    await admin.disconnect();
  }
}
