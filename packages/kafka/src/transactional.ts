import type { Consumer, Kafka, KafkaMessage, Producer, TopicMessages } from 'kafkajs';

/** What processing one batch produced: records to append, and state changes to keep on commit. */
export interface BatchResult {
  sends: TopicMessages[];
  /** Applied only after the transaction commits; a failed transaction leaves state untouched. */
  onCommit(): void;
}

export interface TransactionalProcessorOptions<S> {
  kafka: Kafka;
  groupId: string;
  inputTopic: string;
  /** `<prefix>-<partition>`: one transactional id per input partition (zombie fencing). */
  transactionalIdPrefix: string;
  /**
   * Builds the state of freshly acquired partitions. Called after their producers have fenced any
   * previous owner, so nobody else can append to the partitions being read.
   */
  restore(partitions: number[]): Promise<Map<number, S>>;
  /** Turns a batch into appends. Must not throw on bad input: that is a deny or a dead letter. */
  process(state: S, partition: number, messages: KafkaMessage[]): BatchResult;
  /** Called after each committed batch. */
  onCommitted?(partition: number, messages: number): void;
}

interface Worker<S> {
  producer: Producer;
  state: S;
}

/**
 * Runs consume → process → produce with Kafka transactions, exactly once per input record: the
 * appends and the consumer offset (last + 1) commit atomically per input partition, through a
 * producer whose transactional id belongs to that partition. A partition's state is rebuilt by
 * `restore` whenever the partition is (re)acquired.
 */
export class TransactionalProcessor<S> {
  private readonly consumer: Consumer;
  private readonly workers = new Map<number, Promise<Worker<S>>>();
  private assigned = new Set<number>();

  constructor(private readonly options: TransactionalProcessorOptions<S>) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      readUncommitted: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 1 << 20,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = new Set(payload.memberAssignment[options.inputTopic] ?? []);
      this.assigned = mine;
      for (const p of [...this.workers.keys()]) if (!mine.has(p)) void this.release(p);
      const fresh = [...mine].filter((p) => !this.workers.has(p));
      if (fresh.length > 0) void Promise.allSettled(this.acquire(fresh));
    });
  }

  /** Joins the group and starts processing. */
  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.inputTopic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const worker = await (this.workers.get(batch.partition) ??
          this.acquire([batch.partition])[0]!);
        const { sends, onCommit } = this.options.process(
          worker.state,
          batch.partition,
          batch.messages,
        );
        const last = batch.messages[batch.messages.length - 1]!.offset;
        const txn = await worker.producer.transaction();
        try {
          for (const s of sends) if (s.messages.length > 0) await txn.send({ ...s, acks: -1 });
          await txn.sendOffsets({
            consumerGroupId: this.options.groupId,
            topics: [
              {
                topic: batch.topic,
                partitions: [
                  { partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
                ],
              },
            ],
          });
          await txn.commit();
        } catch (error) {
          await txn.abort().catch(() => undefined);
          // State may no longer match the ledger (or we were fenced): rebuild on next acquisition.
          await this.release(batch.partition);
          throw error;
        }
        onCommit();
        resolveOffset(last);
        this.options.onCommitted?.(batch.partition, batch.messages.length);
        await heartbeat();
      },
    });
  }

  /** Leaves the group and closes every producer. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await Promise.all([...this.workers.keys()].map((p) => this.release(p)));
  }

  /** The input partitions this instance owns now. */
  partitions(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  private acquire(partitions: number[]): Promise<Worker<S>>[] {
    const producers = partitions.map((p) =>
      this.options.kafka.producer({
        transactionalId: `${this.options.transactionalIdPrefix}-${p}`,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: 60_000,
        // The broker answers CONCURRENT_TRANSACTIONS while it finishes the previous commit; retry
        // within milliseconds rather than kafkajs' default back-off (as the Java client does, KAFKA-5477).
        retry: { initialRetryTime: 5, maxRetryTime: 500, retries: 30 },
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
