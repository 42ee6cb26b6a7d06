import type {
  Consumer,
  Kafka,
  KafkaMessage,
  Producer,
  RecordMetadata,
  TopicMessages,
} from 'kafkajs';
import { copartitionedAssigner } from './assigner.js';

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
  /**
   * How long the group waits for a silent member (a killed or paused process) before moving its
   * partitions; default 30 s. Heartbeats go every tenth of it. The broker bounds it
   * (`group.min.session.timeout.ms`, 6 s by default).
   */
  sessionTimeoutMs?: number;
}

interface Worker<S> {
  producer: Producer;
  state: S;
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

  constructor(private readonly options: TransactionalProcessorOptions<S>) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(100, Math.floor((options.sessionTimeoutMs ?? 30_000) / 10)),
      maxBytesPerPartition: 1 << 20,
      partitionAssigners: [copartitionedAssigner],
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = new Set(options.inputTopics.flatMap((t) => payload.memberAssignment[t] ?? []));
      this.assigned = mine;
      for (const p of [...this.workers.keys()]) if (!mine.has(p)) void this.release(p);
      const fresh = [...mine].filter((p) => !this.workers.has(p));
      if (fresh.length > 0) void Promise.allSettled(this.acquire(fresh));
    });
  }

  /** Joins the group and starts processing. */
  async start(): Promise<void> {
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
          await this.commitBatch(batch.topic, batch.partition, batch.messages);
          return batch.messages[batch.messages.length - 1]!.offset;
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

  private async commitBatch(
    topic: string,
    partition: number,
    messages: KafkaMessage[],
  ): Promise<void> {
    const worker = await (this.workers.get(partition) ?? this.acquire([partition])[0]!);
    const { sends, onCommit } = await this.options.process(
      worker.state,
      topic,
      partition,
      messages,
    );
    const last = messages[messages.length - 1]!.offset;
    const sent: RecordMetadata[] = [];
    const txn = await worker.producer.transaction();
    try {
      for (const s of sends)
        if (s.messages.length > 0) sent.push(...(await txn.send({ ...s, acks: -1 })));
      await txn.sendOffsets({
        consumerGroupId: this.options.groupId,
        topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }],
      });
      await txn.commit();
    } catch (error) {
      await txn.abort().catch(() => undefined);
      // State may no longer match the ledger (or we were fenced): rebuild on next acquisition.
      await this.release(partition);
      throw error;
    }
    try {
      await onCommit(sent);
    } catch (error) {
      // The appends stand; only the state is behind them. Rebuild it from the ledger.
      await this.release(partition);
      throw error;
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
    // Connecting a transactional producer runs InitProducerId: it fences the partition's previous
    // owner and completes its open transaction before we read the ledger.
    const restored = Promise.all(producers.map((pr) => pr.connect())).then(() =>
      this.options.restore(partitions),
    );
    const promises = partitions.map((p, i) =>
      restored.then((states) => ({ producer: producers[i]!, state: states.get(p)! })),
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
