import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { GovernanceError } from './errors.js';
import { PartitionLedger } from './ledger.js';
import type { IndexEntry, LedgerIndex } from './state.js';
import { LevelIndex, MemoryIndex } from './state.js';
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
  /**
   * Directory of this instance's state store (LevelDB): the replay and pending state of its
   * partitions, so memory stays flat however long the ledger grows and a restart reads only the
   * attestations appended since. One directory per instance. Without it, the state is held in
   * memory and rebuilt from offset 0 on every acquisition.
   */
  stateDir?: string;
  /** Consumer group session timeout: how soon a dead instance's partitions move (default 30 s). */
  sessionTimeoutMs?: number;
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
 * overrides topics and, per owned partition, brings the replay and pending state up to the end of
 * the attestation ledger, then decides, signs and appends in Kafka transactions.
 * @throws LineageKafkaError TOPICS_NOT_COPARTITIONED or RESTORE_TIMEOUT; GovernanceError
 *   STATE_LOCKED or STATE_UNREADABLE; kafkajs errors when the broker is unreachable.
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

  const index: LedgerIndex =
    options.stateDir === undefined ? new MemoryIndex() : await LevelIndex.open(options.stateDir);
  const restore = async (partitions: number[]): Promise<Map<number, PartitionLedger>> => {
    const started = Date.now();
    const { ledgers, read } = await restorePartitions(
      options.kafka,
      options.topics.attestations,
      index,
      partitions,
      log,
    );
    log('partitions restored', {
      partitions,
      attestations: [...ledgers.values()].reduce((n, l) => n + l.nextSequence, 0),
      read,
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
    sessionTimeoutMs: options.sessionTimeoutMs,
    process: (ledger, topic, partition, messages) =>
      governor.processBatch(ledger, topic, partition, messages),
  });
  try {
    await processor.start();
  } catch (error) {
    await tail.stop();
    await index.close();
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
      await index.close();
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

/** How long a restore waits before checking that the ledger's end has stopped growing. */
const SETTLE_MS = 300;

/** Index entries are written in batches of about this many while restoring. */
const RESTORE_FLUSH = 2_000;

/**
 * Brings each partition's ledger state from where the index stands to the end of the attestation
 * ledger. The index is trusted only as a prefix of the ledger: the read starts at the last
 * attestation it folded, which must be the one it names. A partition whose stored state is not a
 * prefix (a recreated topic, a store from another cluster) is cleared and rebuilt from offset 0.
 * @returns the partitions' ledgers and how many attestations were read to bring them up to date.
 * @throws GovernanceError LEDGER_BROKEN when the ledger does not chain.
 */
async function restorePartitions(
  kafka: Kafka,
  topic: string,
  index: LedgerIndex,
  partitions: number[],
  log: (event: string, fields?: Record<string, unknown>) => void,
): Promise<{ ledgers: Map<number, PartitionLedger>; read: number }> {
  const ledgers = new Map<number, PartitionLedger>();
  let read = 0;
  for (const p of partitions) ledgers.set(p, await PartitionLedger.open(p, index));
  // Partitions with stored state, until the attestation it ends with has been read back.
  const unchecked = new Set(partitions.filter((p) => ledgers.get(p)!.lastOffset >= 0n));
  const buffers = new Map<number, IndexEntry[]>(partitions.map((p) => [p, []]));
  const flush = async (p: number) => {
    await ledgers.get(p)!.persist(buffers.get(p)!);
    buffers.set(p, []);
  };
  try {
    const onRecord = async (p: number, m: KafkaMessage): Promise<void> => {
      const ledger = ledgers.get(p)!;
      read++;
      // Our own ledger, read to rebuild state; integrity of the log is audited separately.
      const record = attestationCodec.decode(m.value!);
      const digest = attestationDigest(record.envelope);
      const offset = BigInt(m.offset);
      if (offset === ledger.lastOffset) {
        // The stored state ends with this very attestation.
        if (digest !== ledger.prev) throw mismatch(p, offset);
        unchecked.delete(p);
        return;
      }
      // The stored state is a prefix of what is read: its last attestation came first.
      if (unchecked.has(p)) throw mismatch(p, offset);
      const statement = parseStatement(record.envelope.payload);
      buffers
        .get(p)!
        .push(
          ...ledger.fold(statement.predicate, statement.subject[0].digest.sha256, digest, offset),
        );
      if (buffers.get(p)!.length >= RESTORE_FLUSH) await flush(p);
    };
    // After a leader moves, the new leader's high watermark can trail the records it holds for a
    // moment: what was read is the whole ledger only once its end stops growing.
    let from = new Map(partitions.map((p) => [p, maxBig(ledgers.get(p)!.lastOffset, 0n)]));
    for (let first = true; ; first = false) {
      const reached = await readToEnd(kafka, topic, from, onRecord);
      if (!first && [...reached].every(([p, end]) => end === from.get(p))) break;
      await sleep(SETTLE_MS);
      from = reached;
    }
    // The ledger ends before the attestation the store names.
    for (const p of unchecked) throw mismatch(p, ledgers.get(p)!.lastOffset);
  } catch (error) {
    if (!(error instanceof GovernanceError) || error.code !== 'STATE_MISMATCH') throw error;
    log('state store mismatch, rebuilding from offset 0', { detail: error.message });
    for (const p of partitions) await index.clear(p);
    return restorePartitions(kafka, topic, index, partitions, log);
  }
  for (const p of partitions) await flush(p);
  return { ledgers, read };
}

function mismatch(partition: number, offset: bigint): GovernanceError {
  return new GovernanceError(
    'STATE_MISMATCH',
    `the state stored for partition ${partition} is not a prefix of its ledger (at offset ${offset})`,
  );
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
