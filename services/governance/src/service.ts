import type { Kafka } from 'kafkajs';
import { attestationDigest, parseStatement } from '@lineage/protocol';
import type { Digest, Ed25519Verifier, TrustStore } from '@lineage/protocol';
import type { LoadedPolicy } from '@lineage/policy';
import { attestationCodec } from '@lineage/schemas';
import { TransactionalProcessor, ensureTopics, readToEnd } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import type { KeyPair } from '@lineage/keys';
import { Governor } from './governor.js';
import type { GovernorStats } from './governor.js';
import { PartitionLedger } from './ledger.js';

export interface GovernanceOptions {
  kafka: Kafka;
  topics: TopicNames;
  /** Consumer group; also the prefix of the per-partition transactional ids. */
  groupId?: string;
  key: KeyPair;
  trust: TrustStore;
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
  stop(): Promise<void>;
}

/**
 * Starts a governance instance: joins the consumer group on the intents topic and, per owned
 * partition, rebuilds the replay state from the attestation ledger, then decides, signs and
 * appends in Kafka transactions.
 */
export async function startGovernance(options: GovernanceOptions): Promise<GovernanceService> {
  const groupId = options.groupId ?? 'lineage-governance';
  const log = options.log ?? (() => undefined);
  await ensureTopics(options.kafka, options.topics, { partitions: options.partitions });
  const governor = new Governor({
    topics: options.topics,
    policy: options.policy,
    trust: options.trust,
    ed25519: options.ed25519,
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
    inputTopic: options.topics.intents,
    transactionalIdPrefix: `${groupId}-${options.topics.intents}`,
    restore,
    process: (ledger, partition, messages) => governor.processBatch(ledger, partition, messages),
  });
  await processor.start();
  log('governance started', {
    groupId,
    issuer: options.key.keyid,
    policy: options.policy.ref,
    runtimeHash: options.runtimeHash,
  });
  return {
    stats: governor.stats,
    partitions: () => processor.partitions(),
    stop: () => processor.stop(),
  };
}
