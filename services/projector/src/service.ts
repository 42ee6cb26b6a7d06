import type { ConsumerConfig, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { ensureTopics } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { migrate, runProjection } from '@lineage/store';
import type { BatchCommitted, RunningProjection } from '@lineage/store';
import { PROJECTION_MIGRATIONS as PROJECTOR_MIGRATIONS } from '@lineage/projection';
import { projectAttestations, projectCheckpoints, projectPolicies } from '@lineage/projection';
import type { OnSkip } from '@lineage/projection';

export interface ProjectorOptions {
  kafka: Kafka;
  /**
   * From `createPool` (`@lineage/store`): its clients carry an error listener, so a connection lost
   * mid-batch fails the batch instead of crashing the process.
   */
  pool: Pool;
  /** Postgres schema of the projection's tables; default `lineage`. */
  schema?: string;
  topics: TopicNames;
  /**
   * Consumer group of the attestations projection, and the name positions of all topics are stored
   * under; default `lineage-projector`. The policies projection joins `<groupId>.policies`, the
   * checkpoints projection `<groupId>.checkpoints`.
   */
  groupId?: string;
  /** Partitions of the topics if they must be created (they are shared with governance); default 6. */
  partitions?: number;
  /** Consumer settings passed through (fetch sizes, timeouts). */
  consumer?: Omit<Partial<ConsumerConfig>, 'groupId' | 'readUncommitted'>;
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** Called after each committed batch of the attestations topic. */
  onBatch?: (batch: BatchCommitted) => void;
  /** Called when the projection stopped on an error it cannot restart from; the process should exit. */
  onCrash?: (error: Error) => void;
}

/** A running projector. */
export interface Projector {
  /** Finishes the batch in flight and leaves the group. Does not end the pool. */
  stop(): Promise<void>;
}

/**
 * How long a batch is retried while Postgres is away before the consumer restarts (leaves and rejoins
 * its group, then retries again): about a minute of back-off, at most 5 s between attempts.
 */
export const PROJECTOR_RETRY = { initialRetryTime: 250, maxRetryTime: 5_000, retries: 15 };

/**
 * Starts a projector: migrates its schema, then folds the attestations topic into `executions` and
 * `lineage_edges`, the policies topic into `policies` and the checkpoints topic into
 * `checkpoints`, each exactly once (rows and positions
 * commit in one Postgres transaction).
 *
 * When Postgres goes away mid-batch (restart, crash, terminated connection) the batch's transaction
 * rolls back, and the batch is retried with back-off ({@link PROJECTOR_RETRY}) until Postgres is back;
 * records a rolled-back batch held are fetched again and applied once.
 * @throws StoreError INVALID_IDENTIFIER, MIGRATIONS_DIVERGED, MIGRATION_FAILED; LineageKafkaError
 *   TOPICS_NOT_COPARTITIONED; kafkajs errors when the broker cannot be reached.
 */
export async function startProjector(options: ProjectorOptions): Promise<Projector> {
  const schema = options.schema ?? 'lineage';
  const groupId = options.groupId ?? 'lineage-projector';
  const log = options.log ?? (() => undefined);
  const migrated = await migrate(options.pool, schema, PROJECTOR_MIGRATIONS);
  if (migrated.applied.length > 0) log('schema migrated', { schema, applied: migrated.applied });
  await ensureTopics(options.kafka, options.topics, { partitions: options.partitions });
  const { topics } = options;
  const skipped = (topic?: string) => (skip: Parameters<OnSkip>[0]) =>
    log('record skipped', topic === undefined ? { ...skip } : { ...skip, topic });
  const running: RunningProjection[] = [];
  try {
    running.push(
      await runProjection({
        ...common(options, schema),
        groupId,
        topic: topics.attestations,
        project: projectAttestations(schema, skipped()),
        onBatch: options.onBatch,
      }),
    );
    // Policies and checkpoints: each its own consumer group (a group's members must subscribe
    // alike), positions under the same name; the checkpoints are one row per signed note.
    running.push(
      await runProjection({
        ...common(options, schema),
        ...{ groupId: `${groupId}.policies`, projection: groupId, topic: topics.policies },
        partitionsConsumedConcurrently: 1,
        project: projectPolicies(schema, skipped(topics.policies)),
      }),
    );
    running.push(
      await runProjection({
        ...common(options, schema),
        ...{ groupId: `${groupId}.checkpoints`, projection: groupId, topic: topics.checkpoints },
        partitionsConsumedConcurrently: 1,
        project: projectCheckpoints(schema, topics.attestations, skipped(topics.checkpoints)),
      }),
    );
  } catch (error) {
    // What started before the failure stops again.
    await Promise.all(running.map((r) => r.stop()));
    throw error;
  }
  log('projector started', {
    schema,
    groupId,
    topics: [topics.attestations, topics.policies, topics.checkpoints],
  });
  return { stop: async () => void (await Promise.all(running.map((r) => r.stop()))) };
}

/** What the projector's three projections share: Kafka, the pool, schema, consumer and crash hook. */
function common(options: ProjectorOptions, schema: string) {
  return {
    kafka: options.kafka,
    pool: options.pool,
    schema,
    consumer: { ...options.consumer, retry: { ...PROJECTOR_RETRY, ...options.consumer?.retry } },
    onCrash: options.onCrash,
  };
}
