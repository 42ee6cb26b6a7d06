import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { attestationDigest, parseStatement } from '@lineage/protocol';
import type { Digest, Ed25519Verifier, PolicyRef, TrustStore } from '@lineage/protocol';
import type { LoadedPolicy } from '@lineage/policy';
import { attestationCodec, policyCodec } from '@lineage/schemas';
import { TransactionalProcessor, ensureTopics, readToEnd } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { memoizedEd25519 } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import { Governor } from './governor.js';
import type { GovernorStats } from './governor.js';
import { PartitionLedger } from './ledger.js';
import { PolicyBook, policyRecord } from './policies.js';

export interface GovernanceOptions {
  kafka: Kafka;
  topics: TopicNames;
  /** Consumer group; also the prefix of the per-partition transactional ids. */
  groupId?: string;
  key: KeyPair;
  trust: TrustStore;
  /**
   * The configured policy: published to the policies topic at start. It decides unless the topic
   * holds a higher version of the same policy id, which then decides (a rollout is never undone by
   * a restart).
   */
  policy: LoadedPolicy;
  ed25519: Ed25519Verifier;
  runtimeHash: Digest;
  partitions?: number;
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

/** A running governance instance. */
export interface GovernanceService {
  readonly stats: GovernorStats;
  /** Input partitions this instance owns now. */
  partitions(): number[];
  /** The policy that decides new intents now. */
  policy(): PolicyRef;
  stop(): Promise<void>;
}

/**
 * Starts a governance instance: publishes its policy, learns every policy document on the
 * policies topic and keeps tailing it (a higher version of the active policy id becomes active for
 * the batches after it is seen), joins the consumer group on the co-partitioned intents and
 * overrides topics and, per owned partition, rebuilds the replay and pending state from the
 * attestation ledger, then decides, signs and appends in Kafka transactions.
 * @throws LineageKafkaError TOPICS_NOT_COPARTITIONED or RESTORE_TIMEOUT; kafkajs errors when the
 *   broker is unreachable.
 */
export async function startGovernance(options: GovernanceOptions): Promise<GovernanceService> {
  const groupId = options.groupId ?? 'lineage-governance';
  const log = options.log ?? (() => undefined);
  await ensureTopics(options.kafka, options.topics, { partitions: options.partitions });
  const policies = new PolicyBook(options.policy);
  const onPolicy = (m: KafkaMessage) => {
    if (!m.value) return;
    let considered;
    // Anyone who can write the topic can write junk to it: refuse, log, carry on.
    try {
      considered = policies.consider(m.key?.toString() ?? null, policyCodec.decode(m.value));
    } catch (error) {
      log('policy record refused', {
        offset: m.offset,
        reason: 'UNDECODABLE',
        detail: String(error),
      });
      return;
    }
    if (considered.type === 'refused')
      log('policy record refused', {
        offset: m.offset,
        reason: considered.reason,
        detail: considered.detail,
      });
    else if (considered.type === 'activated')
      log('policy activated', { offset: m.offset, policy: considered.ref });
  };

  // Publish the configured document, so any audit can fetch the exact policy that decided.
  const producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic: options.topics.policies,
      acks: -1,
      messages: [
        {
          key: options.policy.ref.hash,
          value: policyCodec.encode(policyRecord(options.policy, new Date())),
        },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  // Learn every document published so far, then keep tailing the topic.
  await readToEnd(options.kafka, options.topics.policies, new Map([[0, 0n]]), (_p, m) =>
    onPolicy(m),
  );
  const tail = await tailPolicies(options.kafka, options.topics.policies, groupId, onPolicy);

  const governor = new Governor({
    topics: options.topics,
    policies,
    trust: options.trust,
    // Grants and parent attestations recur across intents: each distinct signature is verified once.
    ed25519: memoizedEd25519(options.ed25519),
    signer: options.key.signer,
    runtimeHash: options.runtimeHash,
  });

  const restore = async (partitions: number[]): Promise<Map<number, PartitionLedger>> => {
    const started = Date.now();
    const ledgers = new Map(partitions.map((p) => [p, new PartitionLedger(p)]));
    await readToEnd(
      options.kafka,
      options.topics.attestations,
      new Map(partitions.map((p) => [p, 0n])),
      (p, m) => {
        // Our own ledger, read to rebuild state; integrity of the log is audited separately.
        const record = attestationCodec.decode(m.value!);
        const statement = parseStatement(record.envelope.payload);
        ledgers
          .get(p)!
          .apply(
            statement.predicate,
            statement.subject[0].digest.sha256,
            attestationDigest(record.envelope),
          );
      },
    );
    log('partitions restored', {
      partitions,
      attestations: [...ledgers.values()].reduce((n, l) => n + l.nextSequence, 0),
      ms: Date.now() - started,
    });
    return ledgers;
  };

  const processor = new TransactionalProcessor<PartitionLedger>({
    kafka: options.kafka,
    groupId,
    inputTopics: [options.topics.intents, options.topics.overrides],
    transactionalIdPrefix: `${groupId}-${options.topics.intents}`,
    restore,
    process: (ledger, topic, partition, messages) =>
      governor.processBatch(ledger, topic, partition, messages),
  });
  try {
    await processor.start();
  } catch (error) {
    await tail.stop();
    throw error;
  }
  log('governance started', {
    groupId,
    issuer: options.key.keyid,
    policy: policies.active.ref,
    runtimeHash: options.runtimeHash,
  });
  return {
    stats: governor.stats,
    partitions: () => processor.partitions(),
    policy: () => policies.active.ref,
    stop: async () => {
      await processor.stop();
      await tail.stop();
    },
  };
}

/** A consumer of the whole policies topic under a throw-away group, removed on stop. */
async function tailPolicies(
  kafka: Kafka,
  topic: string,
  groupId: string,
  onMessage: (m: KafkaMessage) => void,
): Promise<{ stop(): Promise<void> }> {
  const tailGroup = `${groupId}-policies-${randomUUID()}`;
  const consumer: Consumer = kafka.consumer({ groupId: tailGroup, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: ({ message }) => {
      onMessage(message);
      return Promise.resolve();
    },
  });
  return {
    stop: async () => {
      await consumer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([tailGroup]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
