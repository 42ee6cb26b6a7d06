import type {
  Admin,
  Consumer,
  Kafka,
  KafkaMessage,
  Producer,
  RecordMetadata,
  TopicMessages,
  Transaction,
} from 'kafkajs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { copartitionedAssigner } from './assigner.js';
import { noteRetried } from './client.js';

/** What processing one batch produced: records to append, and state changes to keep on commit. */
export interface BatchResult {
  sends: TopicMessages[];
  /**
   * Applied only after the transaction commits, with what the broker reported for each append
   * (base offsets); a failed transaction leaves state untouched. If it fails, the partition's
   * state is dropped and rebuilt by `restore` on the next batch.
   */
  onCommit(sent: RecordMetadata[]): void | Promise<void>;
}

/**
 * How one batch's transaction ended: `committed`; `aborted` on an error (the partition's state is
 * rebuilt and the error rethrown); `fenced` when another producer took the partition's
 * transactional id over (its records are left to the new owner).
 */
export type TransactionOutcome = 'committed' | 'aborted' | 'fenced';

export interface TransactionalProcessorOptions<S> {
  kafka: Kafka;
  groupId: string;
  /**
   * The input topics, all with the same partition count. Partition number p of every one of them
   * is owned by one member and shares one state and one transactional producer.
   */
  inputTopics: string[];
  /** `<prefix>-<partition>`: one transactional id per partition number (zombie fencing). */
  transactionalIdPrefix: string;
  /**
   * Builds the state of freshly acquired partitions. Called after their producers have fenced any
   * previous owner, so nobody else can append to the partitions being read.
   */
  restore(partitions: number[]): Promise<Map<number, S>>;
  /** Turns a batch into appends. Must not throw on bad input: that is a deny or a dead letter. */
  process(
    state: S,
    topic: string,
    partition: number,
    messages: KafkaMessage[],
  ): BatchResult | Promise<BatchResult>;
  /** Called after each committed batch. */
  onCommitted?(topic: string, partition: number, messages: number): void;
  /** Told how each transaction ended (metrics count them); must not throw. */
  onTransaction?(outcome: TransactionOutcome, topic: string, partition: number): void;
  /**
   * How long the group waits for a silent member (a killed or paused process) before moving its
   * partitions; default 30 s. Heartbeats go every tenth of it. The broker bounds it
   * (`group.min.session.timeout.ms`, 6 s by default).
   */
  sessionTimeoutMs?: number;
  /**
   * The least time between one transaction's commit and the next one's first request on the same
   * producer; default 10 ms. The coordinator finishes a commit (its markers) after answering it,
   * and a request arriving meanwhile is refused with CONCURRENT_TRANSACTIONS (retried, and
   * counted). Processing the next batch overlaps the wait.
   */
  commitGapMs?: number;
}

interface Worker<S> {
  producer: Producer;
  state: S;
  /**
   * Per input topic, the group's committed offset read after fencing: records below it were
   * committed by the previous owner after this member fetched its start position.
   */
  committed: Map<string, bigint>;
  /** When this producer's last commit was answered (`performance.now()`); 0 before any. */
  committedAt: number;
}

/** How often a transaction's offsets are sent again after CONCURRENT_TRANSACTIONS (~50 s). */
const OFFSETS_RETRIES = 100;

/** Broker errors that say another producer with our transactional id has taken over. */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/** Whether `error`, or an error it wraps, says this producer was fenced. */
export function isFenced(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 6; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && FENCED.has(type)) return true;
    if (/fenced|old epoch|INVALID_PRODUCER_EPOCH/i.test(e.message)) return true;
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
  return false;
}

/**
 * Runs consume → process → produce with Kafka transactions, exactly once per input record: the
 * appends and the consumer offset (last + 1) commit atomically, through a producer whose
 * transactional id belongs to the partition number. The input topics are co-partitioned (see
 * {@link copartitionedAssigner}); batches of different topics for one partition number run one
 * after another, since a producer holds one open transaction at a time. A partition's state is
 * rebuilt by `restore` whenever the partition number is (re)acquired.
 */
export class TransactionalProcessor<S> {
  private readonly consumer: Consumer;
  private readonly workers = new Map<number, Promise<Worker<S>>>();
  /** The tail of each partition number's chain of batches. */
  private readonly chains = new Map<number, Promise<unknown>>();
  private assigned = new Set<number>();
  private readonly admin: Admin;

  constructor(private readonly options: TransactionalProcessorOptions<S>) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(100, Math.floor((options.sessionTimeoutMs ?? 30_000) / 10)),
      maxBytesPerPartition: 1 << 20,
      partitionAssigners: [copartitionedAssigner],
    });
    this.admin = options.kafka.admin();
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = new Set(options.inputTopics.flatMap((t) => payload.memberAssignment[t] ?? []));
      this.assigned = mine;
      // Partitions paused after a fence are ours again only if this assignment says so.
      this.consumer.resume(options.inputTopics.map((topic) => ({ topic, partitions: [...mine] })));
      for (const p of [...this.workers.keys()]) if (!mine.has(p)) void this.release(p);
      const fresh = [...mine].filter((p) => !this.workers.has(p));
      if (fresh.length > 0) void Promise.allSettled(this.acquire(fresh));
    });
  }

  /** Joins the group and starts processing. */
  async start(): Promise<void> {
    await this.admin.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.inputTopics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const last = await this.serialize(batch.partition, async () => {
          if (!isRunning() || isStale()) return null;
          const committed = await this.commitBatch(batch.topic, batch.partition, batch.messages);
          return committed ? batch.messages[batch.messages.length - 1]!.offset : null;
        });
        if (last === null) return;
        resolveOffset(last);
        this.options.onCommitted?.(batch.topic, batch.partition, batch.messages.length);
        await heartbeat();
      },
    });
  }

  /** Leaves the group and closes every producer. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await Promise.all([...this.workers.keys()].map((p) => this.release(p)));
    await this.admin.disconnect();
  }

  /** The partition numbers this instance owns now. */
  partitions(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  // Runs `task` after every earlier task of the same partition number has settled.
  private serialize<T>(partition: number, task: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(partition) ?? Promise.resolve()).then(task, task);
    const tail = run.catch(() => undefined);
    this.chains.set(partition, tail);
    void tail.then(() => this.chains.get(partition) === tail && this.chains.delete(partition));
    return run;
  }

  /**
   * Decides and commits one batch. Returns false when the batch was not committed because the
   * partition is no longer ours (fenced: its records are left to the new owner).
   */
  private async commitBatch(
    topic: string,
    partition: number,
    batch: KafkaMessage[],
  ): Promise<boolean> {
    // Only an owner acquires: a paused instance that wakes up after its partitions moved must not
    // take them back by fencing the new owner.
    if (!this.assigned.has(partition)) return false;
    const worker = await (this.workers.get(partition) ?? this.acquire([partition])[0]!);
    const last = batch[batch.length - 1]!.offset;
    // Records the previous owner committed after this member fetched its position: already decided.
    const from = worker.committed.get(topic) ?? 0n;
    const messages = batch.filter((m) => BigInt(m.offset) >= from);
    if (messages.length === 0) return true;
    // The transaction's consumer offset is known before the batch is processed: it goes to the
    // coordinators (AddOffsetsToTxn, TxnOffsetCommit: two round trips) while processing runs. The
    // producer first leaves the coordinator the time to finish the previous commit.
    const offset = (BigInt(last) + 1n).toString();
    const wait = worker.committedAt + (this.options.commitGapMs ?? 10) - performance.now();
    const begun = (async () => {
      if (wait > 0) await sleep(wait);
      const txn = await worker.producer.transaction();
      const offsets = this.sendOffsets(txn, {
        consumerGroupId: this.options.groupId,
        topics: [{ topic, partitions: [{ partition, offset }] }],
      });
      return { txn, offsets };
    })();
    const processed = (async () =>
      this.options.process(worker.state, topic, partition, messages))();
    // Each is awaited below; these only keep one that fails first from counting as unhandled.
    begun.then(({ offsets }) => offsets.catch(() => undefined)).catch(() => undefined);
    processed.catch(() => undefined);
    let opened: { txn: Transaction; offsets: Promise<void> } | undefined;
    let onCommit: BatchResult['onCommit'];
    const sent: RecordMetadata[] = [];
    try {
      opened = await begun;
      const txn = opened.txn;
      const result = await processed;
      onCommit = result.onCommit;
      await opened.offsets;
      for (const s of result.sends)
        if (s.messages.length > 0) sent.push(...(await txn.send({ ...s, acks: -1 })));
      await txn.commit();
      worker.committedAt = performance.now();
    } catch (error) {
      if (opened !== undefined) {
        // An abort waits for the offsets' requests, so it is the transaction's last.
        await opened.offsets.catch(() => undefined);
        await opened.txn.abort().catch(() => undefined);
      }
      // State may no longer match the ledger: rebuild on the next acquisition.
      await this.release(partition);
      const fenced = isFenced(error);
      this.options.onTransaction?.(fenced ? 'fenced' : 'aborted', topic, partition);
      if (!fenced) throw error;
      // Another member owns the partition now. Leave its records to it until a rebalance says
      // otherwise (as Kafka Streams does with a task migrated away).
      this.assigned.delete(partition);
      this.consumer.pause(
        this.options.inputTopics.map((t) => ({ topic: t, partitions: [partition] })),
      );
      return false;
    }
    worker.committed.set(topic, BigInt(last) + 1n);
    this.options.onTransaction?.('committed', topic, partition);
    try {
      await onCommit(sent);
    } catch (error) {
      // The appends stand; only the state is behind them. Rebuild it from the ledger.
      await this.release(partition);
      throw error;
    }
    return true;
  }

  /**
   * `txn.sendOffsets`, again after CONCURRENT_TRANSACTIONS: a transaction's first request can meet
   * the coordinator still finishing the previous commit. kafkajs retries that answer on sends, not
   * on offsets; the retry is counted and logged at debug like kafkajs' own.
   */
  private async sendOffsets(
    txn: Transaction,
    offsets: Parameters<Transaction['sendOffsets']>[0],
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await txn.sendOffsets(offsets);
      } catch (error) {
        const type = (error as { type?: unknown }).type;
        if (type !== 'CONCURRENT_TRANSACTIONS' || attempt >= OFFSETS_RETRIES) throw error;
        noteRetried(this.options.kafka, 'Transaction', 'offsets retried', type);
        await sleep(Math.min(5 * 2 ** attempt, 500));
      }
    }
  }

  private acquire(partitions: number[]): Promise<Worker<S>>[] {
    const producers = partitions.map((p) =>
      this.options.kafka.producer({
        transactionalId: `${this.options.transactionalIdPrefix}-${p}`,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: 60_000,
        // The broker answers CONCURRENT_TRANSACTIONS while it finishes the previous commit; retry
        // within milliseconds rather than kafkajs' default back-off (as the Java client does, KAFKA-5477);
        // enough retries (~50 s) to ride out a dead broker's session timeout and the leader elections.
        retry: { initialRetryTime: 5, maxRetryTime: 500, retries: 100 },
      }),
    );
    const restored = (async () => {
      await Promise.all(producers.map((pr) => pr.connect()));
      // Fence first: kafkajs sends InitProducerId for a transactional id only when the first
      // transaction begins, not on connect. It bumps the epoch, so the previous owner can append no
      // more, and completes its open transaction. Only then are the ledger and offsets final.
      await Promise.all(producers.map(async (pr) => (await pr.transaction()).abort()));
      const states = await this.options.restore(partitions);
      const offsets = await this.admin.fetchOffsets({
        groupId: this.options.groupId,
        topics: this.options.inputTopics,
      });
      const committed = new Map(
        partitions.map((p) => [
          p,
          new Map(
            offsets.map((t) => {
              const o = t.partitions.find((x) => x.partition === p)?.offset ?? '-1';
              return [t.topic, BigInt(o) < 0n ? 0n : BigInt(o)] as const;
            }),
          ),
        ]),
      );
      return { states, committed };
    })().catch(async (error: unknown) => {
      await Promise.all(producers.map((pr) => pr.disconnect().catch(() => undefined)));
      throw error;
    });
    const promises = partitions.map((p, i) =>
      restored.then(({ states, committed }) => ({
        producer: producers[i]!,
        state: states.get(p)!,
        committed: committed.get(p)!,
        committedAt: 0,
      })),
    );
    partitions.forEach((p, i) => {
      const promise = promises[i]!;
      promise.catch(() => this.workers.get(p) === promise && this.workers.delete(p));
      this.workers.set(p, promise);
    });
    return promises;
  }

  private async release(partition: number): Promise<void> {
    const worker = this.workers.get(partition);
    this.workers.delete(partition);
    if (!worker) return;
    await worker.then((w) => w.producer.disconnect()).catch(() => undefined);
  }
}
