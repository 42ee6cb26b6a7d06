import type { ConsumerConfig, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { ensureTopics } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { migrate, runProjection } from '@lineage/store';
import type { BatchCommitted } from '@lineage/store';
import { PROJECTOR_MIGRATIONS } from './migrations.js';
import { projectAttestations } from './project.js';

export interface ProjectorOptions {
  kafka: Kafka;
  pool: Pool;
  /** Postgres schema of the projection's tables; default `lineage`. */
  schema?: string;
  topics: TopicNames;
  /** Consumer group, and the name positions are stored under; default `lineage-projector`. */
  groupId?: string;
  /** Partitions of the topics if they must be created (they are shared with governance); default 6. */
  partitions?: number;
  /** Consumer settings passed through (fetch sizes, timeouts). */
  consumer?: Omit<Partial<ConsumerConfig>, 'groupId' | 'readUncommitted'>;
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** Called after each committed batch. */
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
 * Starts a projector: migrates its schema, then folds the attestations topic into `executions` and
 * `lineage_edges`, exactly once (rows and positions commit in one Postgres transaction).
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
  const running = await runProjection({
    kafka: options.kafka,
    pool: options.pool,
    schema,
    groupId,
    topic: options.topics.attestations,
    consumer: options.consumer,
    project: projectAttestations(schema, (skip) => log('record skipped', { ...skip })),
    onBatch: options.onBatch,
    onCrash: options.onCrash,
  });
  log('projector started', { schema, groupId, topic: options.topics.attestations });
  return running;
}
