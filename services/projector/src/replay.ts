import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { LineageKafkaError } from '@lineage/kafka';
import { readOffsets, runProjection } from '@lineage/store';
import type { Project, RunningProjection } from '@lineage/store';
import type { RebuildOptions } from './rebuild-options.js';

/** A rebuild's replay of one topic into the fresh schema, until it reaches the captured ends. */

/** One partition's offsets: from its start (`low`) to the end captured (`high`). */
export interface Bound {
  partition: number;
  low: bigint;
  high: bigint;
}

export async function boundsOf(admin: ReturnType<Kafka['admin']>, topic: string): Promise<Bound[]> {
  return (await admin.fetchTopicOffsets(topic)).map((o) => ({
    partition: o.partition,
    low: BigInt(o.low),
    high: BigInt(o.high),
  }));
}

/** Offsets from each partition's start to its captured end. */
export const sizeOf = (bounds: Bound[]) => bounds.reduce((n, b) => n + Number(b.high - b.low), 0);

export const targetsOf = (bounds: Bound[]): Map<number, Bound> =>
  new Map(bounds.filter((b) => b.high > b.low).map((b) => [b.partition, b]));

export interface ReplayOptions extends RebuildOptions {
  fresh: string;
  projection: string;
  topic: string;
  project: Project;
  targets: Map<number, Bound>;
  /** Offsets passed before this topic (progress counts both topics). */
  base: number;
  total: number;
  started: number;
  log: (event: string, fields?: Record<string, unknown>) => void;
}

/** Progress of one topic's replay: records, positions reached, and when batches committed. */
interface ReplayState {
  records: number;
  reached: Map<number, bigint>;
  firstBatch: number | undefined;
  lastBatch: number;
}

/** Runs the projection into `fresh` until its stored positions reach every target end. */
export async function replayToEnd(
  o: ReplayOptions,
): Promise<{ records: number; seconds: number; firstBatchSeconds: number }> {
  if (o.targets.size === 0)
    return { records: 0, seconds: (performance.now() - o.started) / 1000, firstBatchSeconds: 0 };
  const state: ReplayState = {
    records: 0,
    reached: new Map(),
    firstBatch: undefined,
    lastBatch: performance.now(),
  };
  let fail!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  const groupId = `lineage-rebuild-${randomUUID()}`;
  const running = await startReplay(o, groupId, state, (error) => fail(error));
  try {
    await untilEnds(o, state, failed);
    const end = performance.now();
    o.onProgress?.({
      done: doneOf(o, state),
      total: o.total,
      records: state.records,
      elapsedMs: end - o.started,
    });
    return {
      records: state.records,
      seconds: (end - o.started) / 1000,
      firstBatchSeconds: ((state.firstBatch ?? end) - o.started) / 1000,
    };
  } finally {
    await running.stop();
    const admin = o.kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Offsets passed so far, counting the topics replayed before this one (`base`). */
function doneOf(o: ReplayOptions, state: ReplayState): number {
  return [...o.targets.values()].reduce((n, b) => {
    const at = state.reached.get(b.partition) ?? b.low;
    return n + Number((at < b.high ? at : b.high) - b.low);
  }, o.base);
}

/** Starts the projection under a throwaway group; each batch moves `state` and reports progress. */
function startReplay(
  o: ReplayOptions,
  groupId: string,
  state: ReplayState,
  onCrash: (error: Error) => void,
): Promise<RunningProjection> {
  return runProjection({
    kafka: o.kafka,
    pool: o.pool,
    schema: o.fresh,
    groupId,
    projection: o.projection,
    topic: o.topic,
    // Short long-polls: stopping waits for the fetch in flight.
    consumer: {
      maxBytesPerPartition: 1 << 20,
      maxBytes: 32 << 20,
      maxWaitTimeInMs: 250,
      ...o.consumer,
    },
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
    project: o.project,
    onBatch: (batch) => {
      state.records += batch.projected;
      state.lastBatch = performance.now();
      state.firstBatch ??= state.lastBatch;
      const previous = state.reached.get(batch.partition) ?? 0n;
      if (batch.nextOffset > previous) state.reached.set(batch.partition, batch.nextOffset);
      o.onProgress?.({
        done: doneOf(o, state),
        total: o.total,
        records: state.records,
        elapsedMs: state.lastBatch - o.started,
      });
    },
    onCrash,
  });
}

/**
 * Waits until the stored positions reach every target end.
 * @throws LineageKafkaError RESTORE_TIMEOUT when no batch committed for `stallTimeoutMs`; the
 *   projection's crash.
 */
async function untilEnds(o: ReplayOptions, state: ReplayState, failed: Promise<never>) {
  const stallMs = o.stallTimeoutMs ?? 120_000;
  for (;;) {
    // Positions also move past marker-only fetches outside onBatch: read what is stored.
    const stored = await readOffsets(o.pool, o.fresh, o.projection, o.topic);
    for (const [p, next] of stored)
      if (next > (state.reached.get(p) ?? 0n)) state.reached.set(p, next);
    if ([...o.targets.values()].every((b) => (stored.get(b.partition) ?? 0n) >= b.high)) return;
    if (performance.now() - state.lastBatch > stallMs)
      throw new LineageKafkaError(
        'RESTORE_TIMEOUT',
        `rebuild of ${o.topic} made no progress for ${stallMs} ms (at ${doneOf(o, state)}/${o.total})`,
      );
    await Promise.race([failed, new Promise((r) => setTimeout(r, 100))]);
  }
}
