import type { ConsumerConfig, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { TopicNames } from '@lineage/kafka';

// What a rebuild is given and reports, apart from the rebuild itself, so that the replay it runs
// (replay.ts) and the rebuild (rebuild.ts) both read them without importing each other.

/** A progress reading of a rebuild, after each committed batch. */
export interface RebuildProgress {
  /** Offsets of the attestations, policies and checkpoints topics passed so far (records and transaction markers). */
  done: number;
  /** Offsets to pass: from each partition's start to the end captured when the rebuild began. */
  total: number;
  /** Records handed to the projection so far. */
  records: number;
  elapsedMs: number;
}

export interface RebuildOptions {
  kafka: Kafka;
  pool: Pool;
  /** The projector schema to replace; default `lineage`. At most 18 characters (a 23-character suffix is added). */
  schema?: string;
  topics: TopicNames;
  /**
   * The name positions are stored under in the new `projection_offsets`: the live projector's group
   * id, so that a restarted projector continues where the rebuild stopped; default `lineage-projector`.
   */
  projection?: string;
  /** Keep the replaced schema as `<schema>_old_<timestamp>` instead of dropping it. */
  keepOld?: boolean;
  onProgress?: (progress: RebuildProgress) => void;
  log?: (event: string, fields?: Record<string, unknown>) => void;
  /** Consumer settings passed through; default fetches up to 1 MiB a partition. */
  consumer?: Omit<Partial<ConsumerConfig>, 'groupId' | 'readUncommitted'>;
  /** Partitions applied at once (one pooled connection each); default 4. */
  partitionsConsumedConcurrently?: number;
  /** Give up when no batch commits for this long; default 120,000 ms. */
  stallTimeoutMs?: number;
}
