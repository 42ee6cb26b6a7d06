import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Consumer, Kafka } from 'kafkajs';

/**
 * One measured phase: which record ids it publishes, when each was sent and when its output was
 * first seen (`performance.now()` milliseconds).
 */
export class Phase {
  readonly sentAt = new Map<string, number>();
  readonly seenAt = new Map<string, number>();
  /** Time the last expected output was seen; undefined until the phase is complete. */
  completedAt: number | undefined;
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly ids: ReadonlySet<string>,
  ) {}

  /** Records the send time of records about to be handed to the producer. */
  markSent(ids: readonly string[], at: number): void {
    for (const id of ids) this.sentAt.set(id, at);
  }

  /** Records an output; returns false when this id was already seen (a duplicate). */
  observe(id: string, at: number): boolean {
    if (this.seenAt.has(id)) return false;
    this.seenAt.set(id, at);
    if (this.seenAt.size === this.ids.size) {
      this.completedAt = at;
      for (const wake of this.waiters.splice(0)) wake();
    }
    return true;
  }

  /**
   * Resolves with the time the last expected output was seen.
   * @throws Error when not every output arrived within `timeoutMs`.
   */
  async done(timeoutMs: number): Promise<number> {
    if (this.completedAt === undefined) {
      let timer: NodeJS.Timeout | undefined;
      const arrived = await Promise.race([
        new Promise<true>((resolve) => this.waiters.push(() => resolve(true))),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (!arrived) {
        throw new Error(
          `${this.name}: ${this.seenAt.size} of ${this.ids.size} outputs seen within ${timeoutMs} ms`,
        );
      }
    }
    return this.completedAt!;
  }

  /** Per record: output seen − sent, in ms. */
  latencies(): number[] {
    return [...this.seenAt].map(([id, seen]) => seen - (this.sentAt.get(id) ?? Number.NaN));
  }
}

/**
 * Watches an output topic from the beginning with a fresh consumer group (read_committed) and
 * matches each record's key — the execution id — to the phase that published it.
 */
export class OutputObserver {
  /** Outputs whose id was already seen. */
  duplicates = 0;
  /** Outputs whose id no phase published. */
  unknown = 0;
  private outputs = 0;
  private outputBytes = 0;
  private readonly phases = new Map<string, Phase>();

  private constructor(private readonly consumer: Consumer) {}

  /**
   * Connects and starts consuming `topic`.
   * @throws KafkaJSError when the consumer cannot connect or subscribe.
   */
  static async start(kafka: Kafka, topic: string): Promise<OutputObserver> {
    const consumer = kafka.consumer({
      groupId: `bench-observer-${randomUUID()}`,
      readUncommitted: false,
    });
    const observer = new OutputObserver(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        for (const m of batch.messages) {
          observer.outputs++;
          observer.outputBytes += m.value?.length ?? 0;
          observer.observe(m.key?.toString('utf8') ?? '', now);
        }
      },
    });
    return observer;
  }

  /** Starts tracking a phase; its ids must not belong to another phase. */
  track(name: string, ids: readonly string[]): Phase {
    const phase = new Phase(name, new Set(ids));
    for (const id of ids) this.phases.set(id, phase);
    return phase;
  }

  /** Mean size of the output values seen so far, bytes. */
  meanBytes(): number {
    return this.outputs === 0 ? 0 : this.outputBytes / this.outputs;
  }

  /** Leaves the group. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private observe(id: string, at: number): void {
    const phase = this.phases.get(id);
    if (phase === undefined) this.unknown++;
    else if (!phase.observe(id, at)) this.duplicates++;
  }
}
