// Test helpers shared by the projector's integration tests (vitest only; not part of the package surface).
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { expect } from 'vitest';
import type { TopicNames } from '@lineage/kafka';
import { projectionChecksum } from '@lineage/projection';
import type { ProjectionChecksum } from '@lineage/projection';
import { rebuildProjection } from './rebuild.js';
import type { RebuildResult } from './rebuild.js';

/** A projection under test: its schema, topics and consumer group. */
export interface World {
  schema: string;
  topics: TopicNames;
  groupId: string;
}

/** The projector's entry point, run as a child process by the kill -9 tests. */
export const PROJECTOR_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Node arguments that run the projector's entry point on a test world. */
export function projectorCommand(
  brokers: readonly string[],
  databaseUrl: string,
  w: World,
  partitions: number,
  extra: readonly string[] = [],
): string[] {
  return [
    ...['--import', 'tsx', PROJECTOR_MAIN],
    ...['--brokers', brokers.join(',')],
    ...['--database-url', databaseUrl],
    ...['--schema', w.schema],
    ...['--topic-prefix', w.topics.attestations.slice(0, -'lineage.attestations.v1'.length)],
    ...['--group', w.groupId],
    ...['--partitions', String(partitions)],
    ...extra,
  ];
}

/**
 * Asserts that the projection holds exactly one row per attestation (`total` rows, `total` distinct
 * digests) and that a rebuild from offset 0 into a fresh schema reproduces its content checksum and
 * positions. Returns the live checksum and the rebuild for further checks and reporting.
 */
export async function expectExactlyOnceAndRebuildable(
  kafka: Kafka,
  pool: Pool,
  w: World,
  total: number,
): Promise<{ live: ProjectionChecksum; rebuilt: RebuildResult }> {
  // Exactly once: one row per attestation, each attestation's digest once.
  const { rows } = await pool.query<{ rows: number; digests: number }>(
    `SELECT count(*)::int AS rows, count(DISTINCT attestation_digest)::int AS digests FROM "${w.schema}".executions`,
  );
  expect(rows[0]).toEqual({ rows: total, digests: total });
  const live = await projectionChecksum(pool, w.schema);
  // The tables equal a rebuild from offset 0.
  const rebuilt = await rebuildProjection({
    kafka,
    pool,
    schema: w.schema,
    topics: w.topics,
    projection: w.groupId,
    keepOld: true,
  });
  expect(rebuilt.records).toBe(total);
  expect(rebuilt.checksum.combined).toBe(live.combined);
  expect(rebuilt.checksum.offsets).toEqual(live.offsets);
  return { live, rebuilt };
}
