import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { BenchConfig } from './config.js';
import { OutputObserver } from './observer.js';
import { summarize } from './percentiles.js';
import type { LatencySummary } from './percentiles.js';
import { publishBurst, publishPaced } from './publish.js';
import type { BenchRecord } from './publish.js';

/** The pre-built records of one pipeline run, one disjoint set per phase. */
export interface Workload {
  warmup: readonly BenchRecord[];
  throughput: readonly BenchRecord[];
  latency: readonly BenchRecord[];
}

/** A pipeline under test: where it reads and writes, and how to run it. */
export interface PipelineSpec {
  name: string;
  inputTopic: string;
  outputTopic: string;
  /** Starts the pipeline; resolves with its stop function. */
  start(): Promise<() => Promise<void>>;
  /**
   * Called once every output arrived and the settle time passed, with the number of records
   * published; throws when the pipeline's own account disagrees.
   */
  check?(published: number): void;
}

/** What one pipeline achieved. */
export interface PipelineResult {
  name: string;
  /** Throughput phase: N ÷ (N-th output seen − first send). */
  perSecond: number;
  throughputMs: number;
  /** Latency phase: output seen − sent, per record. */
  latency: LatencySummary;
  /** The publishing rate the latency phase achieved. */
  pacedRate: number;
}

/**
 * Runs one pipeline through warm-up, throughput and latency phases, watching its output topic.
 * Everything it starts is stopped before it returns or throws.
 * @throws Error when a phase misses outputs within the timeout, an output is duplicated or
 *   unknown, or `spec.check` throws.
 */
export async function measurePipeline(
  kafka: Kafka,
  spec: PipelineSpec,
  workload: Workload,
  config: BenchConfig,
): Promise<PipelineResult> {
  const observer = await OutputObserver.start(kafka, spec.outputTopic);
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  let stopPipeline: (() => Promise<void>) | undefined;
  try {
    await producer.connect();
    stopPipeline = await spec.start();
    const ids = (records: readonly BenchRecord[]) => records.map((r) => r.id);

    const warmup = observer.track(`${spec.name} warm-up`, ids(workload.warmup));
    await publishBurst(producer, spec.inputTopic, workload.warmup, warmup, config.batchSize);
    await warmup.done(config.timeoutMs);

    const burst = observer.track(`${spec.name} throughput`, ids(workload.throughput));
    const start = await publishBurst(
      producer,
      spec.inputTopic,
      workload.throughput,
      burst,
      config.batchSize,
    );
    const end = await burst.done(config.timeoutMs);

    const paced = observer.track(`${spec.name} latency`, ids(workload.latency));
    const pacedRate = await publishPaced(
      producer,
      spec.inputTopic,
      workload.latency,
      paced,
      config.rate,
    );
    await paced.done(config.timeoutMs);

    await sleep(config.settleMs);
    if (observer.duplicates > 0 || observer.unknown > 0) {
      throw new Error(
        `${spec.name}: ${observer.duplicates} duplicate and ${observer.unknown} unknown outputs`,
      );
    }
    spec.check?.(workload.warmup.length + workload.throughput.length + workload.latency.length);

    return {
      name: spec.name,
      perSecond: (workload.throughput.length / (end - start)) * 1000,
      throughputMs: end - start,
      latency: summarize(paced.latencies()),
      pacedRate,
    };
  } finally {
    await closeAll(spec.name, [stopPipeline, () => producer.disconnect(), () => observer.stop()]);
  }
}

/** Runs every close in order; a failure is reported and fails the run, without skipping the rest. */
async function closeAll(
  name: string,
  closes: readonly ((() => Promise<void>) | undefined)[],
): Promise<void> {
  for (const close of closes) {
    try {
      await close?.();
    } catch (error) {
      process.exitCode = 1;
      console.error(`${name}: clean-up failed:`, error);
    }
  }
}
