import type { Kafka } from 'kafkajs';
import type { Digest, Ed25519Verifier, PolicyRef, TrustStore } from '@lineage/protocol';
import type { LoadedPolicy } from '@lineage/policy';
import { TransactionalProcessor, ensureTopics, retriableAnswers } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { memoizedEd25519, nodeSha256 } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import { Governor } from './governor.js';
import type { PartitionLedger } from './ledger.js';
import { PolicyBook } from './policies.js';
import { followPolicies, publishPolicy } from './policy-feed.js';
import type { Log } from './policy-feed.js';
import { restorer } from './restore.js';
import type { LedgerIndex } from './state.js';
import { LevelIndex, MemoryIndex } from './state.js';
import type { GovernorStats } from './stats.js';
import type { GovernanceObserver } from './observe.js';

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
  /**
   * Directory of this instance's state store (LevelDB): the replay and pending state of its
   * partitions, so memory stays flat however long the ledger grows and a restart reads only the
   * attestations appended since. One directory per instance. Without it, the state is held in
   * memory and rebuilt from offset 0 on every acquisition.
   */
  stateDir?: string;
  /** Consumer group session timeout: how soon a dead instance's partitions move (default 30 s). */
  sessionTimeoutMs?: number;
  log?: Log;
  /** Told of each decided batch and its commit: metrics and traces (`governanceTelemetry`). */
  observer?: GovernanceObserver;
}

/** A running governance instance. */
export interface GovernanceService {
  /**
   * The governor's totals, and the retriable broker answers its Kafka client met (retried by
   * kafkajs, logged at debug).
   */
  readonly stats: GovernorStats & { retriableAnswers: number };
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
 * overrides topics and, per owned partition, brings the replay and pending state up to the end of
 * the attestation ledger, then decides, signs and appends in Kafka transactions.
 * @throws LineageKafkaError TOPICS_NOT_COPARTITIONED or RESTORE_TIMEOUT; GovernanceError
 *   STATE_LOCKED or STATE_UNREADABLE; kafkajs errors when the broker is unreachable.
 */
// Over 60 lines: start-up in order (topics, policy feed, state index, processor), undone on failure.
export async function startGovernance(options: GovernanceOptions): Promise<GovernanceService> {
  const groupId = options.groupId ?? 'lineage-governance';
  const log = options.log ?? (() => undefined);
  const { kafka, topics } = options;
  // The topics exist, intents, overrides and attestations co-partitioned.
  await ensureTopics(kafka, topics, { partitions: options.partitions });
  // The configured policy is published, every published one learnt, and the topic followed.
  const policies = new PolicyBook(options.policy);
  await publishPolicy(kafka, topics.policies, options.policy);
  const feed = await followPolicies(kafka, topics.policies, groupId, policies, log);
  // The governor decides with the keys and trust loaded once, here. Grants and parent attestations
  // recur across intents: each distinct signature is verified once. A batch's signatures are
  // checked ahead on the Ed25519 thread, and its attestations signed there, while the event loop
  // goes on deciding.
  const ed25519 = memoizedEd25519(options.ed25519);
  const governor = new Governor({
    topics,
    policies,
    trust: options.trust,
    ed25519,
    prefetch: (checks) => ed25519.prefetch(checks),
    sha256: nodeSha256,
    signer: options.key.signer,
    runtimeHash: options.runtimeHash,
    observer: options.observer,
  });
  // Owned partitions are restored from the state store and the ledger, then decided in transactions.
  const index = await openIndex(options.stateDir);
  const processor = new TransactionalProcessor<PartitionLedger>({
    kafka,
    groupId,
    inputTopics: [topics.intents, topics.overrides],
    transactionalIdPrefix: `${groupId}-${topics.intents}`,
    restore: restorer(kafka, topics.attestations, index, log),
    sessionTimeoutMs: options.sessionTimeoutMs,
    onTransaction: (outcome) => options.observer?.transaction?.(outcome),
    process: (ledger, topic, partition, messages) =>
      governor.processBatch(ledger, topic, partition, messages),
  });
  const stop = async (): Promise<void> => {
    await feed.stop();
    await index.close();
  };
  try {
    await processor.start();
  } catch (error) {
    await stop();
    throw error;
  }
  log('governance started', {
    groupId,
    issuer: options.key.keyid,
    policy: policies.active.ref,
    runtimeHash: options.runtimeHash,
    observer: options.observer,
  });
  return {
    get stats() {
      return { ...governor.stats, retriableAnswers: retriableAnswers(kafka) };
    },
    partitions: () => processor.partitions(),
    policy: () => policies.active.ref,
    stop: async () => {
      await processor.stop();
      await stop();
    },
  };
}

/** The state store: LevelDB in `stateDir`, or memory (rebuilt from offset 0 on every acquisition). */
function openIndex(stateDir: string | undefined): Promise<LedgerIndex> {
  return stateDir === undefined ? Promise.resolve(new MemoryIndex()) : LevelIndex.open(stateDir);
}
