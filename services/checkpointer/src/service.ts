import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import {
  CheckpointError,
  checkpointKeyName,
  checkpointOrigin,
  signLedgerCheckpoint,
  verifyCheckpoint,
} from '@lineage/protocol';
import type { Checkpoint, Ed25519Verifier, Signer } from '@lineage/protocol';
import { ensureTopics, readToEnd } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { attestationCodec } from '@lineage/schemas';
import { CheckpointerError } from './errors.js';
import { PartitionTree } from './tree.js';
import { Cosigning } from './witnesses.js';
import type { SignedHead } from './witnesses.js';

/** How the checkpointer runs. */
export interface CheckpointerOptions {
  kafka: Kafka;
  topics: TopicNames;
  /** The signing key: a trust-store key with role `governance`. */
  key: { keyid: string; publicKey: Uint8Array; signer: Signer };
  /** Verifies the notes read back on start (node:crypto in services). */
  ed25519: Ed25519Verifier;
  /** Publish a partition's checkpoint once it grew by this many attestations (default 1000). */
  every?: number;
  /** And at least this often while it grew (default 10 000 ms). */
  intervalMs?: number;
  /** Partition count used when the topics must be created (default 6). */
  partitions?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Base URLs of the witnesses to ask for cosignatures (c2sp.org/tlog-witness); none by default. */
  witnesses?: readonly string[];
}

/** Counters of a running checkpointer. */
export interface CheckpointerStats {
  /** Attestations folded into the trees since start (the restore included). */
  attestations: number;
  /** Checkpoints published since start. */
  published: number;
  /** Partition → why it is refused checkpoints. */
  broken: Record<number, string>;
  /** Partition → size of its last published checkpoint. */
  checkpointed: Record<number, number>;
  /** Checkpoints published again with witness cosignatures. */
  cosigned: number;
}

/** A running checkpointer. */
export interface CheckpointerService {
  readonly stats: CheckpointerStats;
  /** Publishes what is pending, then disconnects. */
  stop(): Promise<void>;
}

// The last checkpoint this key published per partition, read back from the checkpoints topic.
async function lastPublished(options: CheckpointerOptions): Promise<Map<number, Checkpoint>> {
  const { kafka, topics, key, ed25519 } = options;
  const last = new Map<number, Checkpoint>();
  const onMessage = (_: number, message: KafkaMessage) => {
    const p = Number(message.key?.toString() ?? 'NaN');
    if (!Number.isSafeInteger(p) || p < 0 || message.value === null) return;
    const origin = checkpointOrigin(topics.attestations, p);
    const note = message.value.toString('utf8');
    try {
      // Only notes this key signed, for this partition's log, count as ours: under the origin's
      // name (rule 2) or, for notes published before it, under `lineage-<keyid>` (rule 1).
      const signer = { publicKey: key.publicKey, ed25519 };
      let cp: Checkpoint;
      try {
        cp = verifyCheckpoint(note, { ...signer, name: origin });
      } catch (e) {
        if (!(e instanceof CheckpointError) || e.code !== 'UNKNOWN_KEY') throw e;
        cp = verifyCheckpoint(note, { ...signer, name: checkpointKeyName(key.keyid) });
      }
      // The largest counts: a cosigned note may land after a larger checkpoint's plain one.
      if (cp.origin === origin && cp.size >= (last.get(p)?.size ?? 0)) last.set(p, cp);
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      options.log?.('ignoring a checkpoint not signed by this key', {
        offset: message.offset,
        code: e.code,
      });
    }
  };
  await readToEnd(kafka, topics.checkpoints, new Map([[0, 0n]]), onMessage);
  return last;
}

/**
 * Starts the checkpointer: reads the attestations topic from offset 0 (read_committed), rebuilds one
 * RFC 6962 tree per partition while checking each record continues the partition's chain, checks the
 * rebuilt tree against the last checkpoint it published, then publishes a signed C2SP checkpoint of
 * a partition every `every` attestations or `intervalMs` while it grew.
 * @throws CheckpointerError INVALID_OPTIONS; kafkajs errors when the broker is unreachable.
 */
export async function startCheckpointer(
  options: CheckpointerOptions,
): Promise<CheckpointerService> {
  const { every, intervalMs } = checkedTiming(options);
  const { kafka, topics } = options;
  const log = options.log ?? (() => undefined);
  await ensureTopics(kafka, topics, { partitions: options.partitions ?? 6 });
  // The trees restart from the last checkpoints this key published, read back and verified.
  const published = await lastPublished(options);
  const trees = new Trees(published);
  const stats: CheckpointerStats = {
    attestations: 0,
    published: 0,
    broken: {},
    checkpointed: Object.fromEntries([...published].map(([p, c]) => [p, c.size])),
    cosigned: 0,
  };
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const cosigning = new Cosigning({
    witnesses: options.witnesses ?? [],
    topic: topics.checkpoints,
    producer,
    log,
    onCosigned: (count) => (stats.cosigned += count),
  });
  const publish = publisher({ ...options, every, log }, trees, stats, producer, cosigning);
  const consumer = await foldLedger({ ...options, log }, trees, stats, publish);
  const timer = setInterval(() => {
    publish(true).catch((error: unknown) =>
      log('checkpoint publish failed', { error: String(error) }),
    );
  }, intervalMs);

  return {
    stats,
    async stop() {
      clearInterval(timer);
      await consumer.consumer.disconnect();
      await publish(true).catch(() => undefined);
      await cosigning.idle();
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([consumer.groupId]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** `every` and `intervalMs` with their defaults. @throws CheckpointerError INVALID_OPTIONS. */
function checkedTiming(options: CheckpointerOptions): { every: number; intervalMs: number } {
  const every = options.every ?? 1000;
  const intervalMs = options.intervalMs ?? 10_000;
  if (!Number.isSafeInteger(every) || every < 1 || !(intervalMs > 0)) {
    throw new CheckpointerError(
      'INVALID_OPTIONS',
      'every must be a positive integer, intervalMs positive',
    );
  }
  return { every, intervalMs };
}

/** One tree per partition, made on first use from the partition's last published checkpoint. */
class Trees {
  readonly #trees = new Map<number, PartitionTree>();
  constructor(readonly published: ReadonlyMap<number, Checkpoint>) {}
  of(partition: number): PartitionTree {
    let tree = this.#trees.get(partition);
    if (tree === undefined) {
      tree = new PartitionTree(partition, this.published.get(partition) ?? null);
      this.#trees.set(partition, tree);
    }
    return tree;
  }
  all(): IterableIterator<PartitionTree> {
    return this.#trees.values();
  }
}

type Log = NonNullable<CheckpointerOptions['log']>;
type Publish = (force: boolean) => Promise<void>;

/**
 * Publishes a signed checkpoint of each tree that grew by `every` (any growth when `force`d).
 * One publish at a time, in order: the batch handler and the timer both queue here.
 */
function publisher(
  options: CheckpointerOptions & { every: number; log: Log },
  trees: Trees,
  stats: CheckpointerStats,
  producer: Producer,
  cosigning: Cosigning,
): Publish {
  const { topics, key, every, log } = options;
  let queue: Promise<void> = Promise.resolve();
  const run = async (force: boolean) => {
    const heads: SignedHead[] = [];
    for (const tree of trees.all()) {
      if (!tree.publishable || (!force && tree.size - tree.publishedSize < every)) continue;
      const checkpoint = {
        origin: checkpointOrigin(topics.attestations, tree.partition),
        ...tree.head(),
      };
      const note = signLedgerCheckpoint(checkpoint, key, Math.floor(Date.now() / 1000));
      heads.push({ tree, checkpoint, note });
    }
    if (heads.length === 0) return;
    await producer.send({
      topic: topics.checkpoints,
      acks: -1,
      messages: heads.map((h) => ({ key: String(h.tree.partition), value: h.note })),
    });
    for (const h of heads) {
      h.tree.published(h.checkpoint);
      stats.published++;
      stats.checkpointed[h.tree.partition] = h.checkpoint.size;
      log('checkpoint published', { partition: h.tree.partition, size: h.checkpoint.size });
    }
    // Witnesses cosign what is already published: they never hold a checkpoint back.
    cosigning.submit(heads);
  };
  return (force) => {
    const done = queue.then(() => run(force));
    queue = done.catch(() => undefined);
    return done;
  };
}

/**
 * Reads the attestations topic from offset 0 (read_committed) under a throwaway group, folds each
 * record into its partition's tree, and publishes after each batch.
 */
async function foldLedger(
  options: CheckpointerOptions & { log: Log },
  trees: Trees,
  stats: CheckpointerStats,
  publish: Publish,
): Promise<{ consumer: Consumer; groupId: string }> {
  const { kafka, topics, log } = options;
  // The next offset each partition's tree expects. kafkajs restarts a crashed consumer (a broker
  // lost, say) from its last committed position — here offset 0, as nothing is committed — so a
  // record already folded in can come again; it must not reach the tree twice.
  const nextOffset = new Map<number, bigint>();
  const groupId = `lineage-checkpointer-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxBytes: 16 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.attestations, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const tree = trees.of(batch.partition);
      for (const message of batch.messages) {
        const offset = BigInt(message.offset);
        if (offset < (nextOffset.get(batch.partition) ?? 0n)) continue;
        nextOffset.set(batch.partition, offset + 1n);
        fold(tree, batch.partition, message, stats, log);
      }
      // A failed publish must not fail the batch: redelivered records would fork the rebuilt tree.
      await publish(false).catch((error: unknown) =>
        log('checkpoint publish failed', { error: String(error) }),
      );
    },
  });
  return { consumer, groupId };
}

/** Appends one record to its partition's tree, counting it and logging a restore or a break. */
function fold(
  tree: PartitionTree,
  partition: number,
  message: KafkaMessage,
  stats: CheckpointerStats,
  log: Log,
): void {
  // Bytes that do not decode reach the tree as an empty payload, which breaks the partition.
  let payload = new Uint8Array(0);
  try {
    if (message.value !== null) payload = attestationCodec.decode(message.value).envelope.payload;
  } catch {
    // Not an attestation record.
  }
  const outcome = tree.append(payload);
  if (outcome.type === 'appended' || outcome.type === 'restored') stats.attestations++;
  if (outcome.type === 'restored') {
    log('rebuilt tree matches the last published checkpoint', {
      partition,
      size: outcome.size,
    });
  }
  if (outcome.type === 'broken') {
    stats.broken[partition] = outcome.reason;
    log('partition broken: no more checkpoints for it', {
      partition,
      offset: message.offset,
      reason: outcome.reason,
    });
  }
}
