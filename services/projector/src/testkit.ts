// Test helpers shared by the projector's integration tests (vitest only; not part of the package surface).
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Admin, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { createKafka, ensureTopics, topicNames } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { projectionChecksum } from '@lineage/projection';
import type { ProjectionChecksum } from '@lineage/projection';
import { readOffsets } from '@lineage/store';
import { waitUntil } from '@lineage/testkit/kafka';
import { testDatabase } from '@lineage/testkit/pg';
import { rebuildProjection } from './rebuild.js';
import type { RebuildResult } from './rebuild.js';

/** A projection under test: its schema, topics and consumer group. */
export interface World {
  schema: string;
  topics: TopicNames;
  groupId: string;
}

/** One projector test file's Postgres and Kafka, and fresh worlds on them. */
export interface ProjectorHarness {
  readonly pool: Pool;
  readonly kafka: Kafka;
  /** Connected before the file's tests, disconnected after them. */
  readonly admin: Admin;
  /** A fresh schema name, dropped after the file's tests. */
  newSchema(): string;
  /** A fresh schema (dropped after the file's tests), fresh topics of `partitions` and a group id. */
  world(partitions?: number): Promise<World>;
  /** Each partition of `topic` that holds records, with its end offset. */
  topicEnd(topic: string): Promise<Map<number, bigint>>;
  /** Waits until `projection` (default: the world's group) stored the end of `topic` (default: attestations). */
  waitCaughtUp(w: World, options?: CaughtUpOptions & { timeoutMs?: number }): Promise<void>;
}

/** Which topic and projection {@link projectionCaughtUp} compares. */
export interface CaughtUpOptions {
  topic?: string;
  projection?: string;
}

/**
 * The calling test file's harness: a pool on the provided database (`max` connections), a Kafka
 * client `clientId` on the provided brokers and its admin.
 */
export function projectorHarness(clientId: string, max = 20): ProjectorHarness {
  const { pool, newSchema } = testDatabase(inject('databaseUrl'), { max });
  const kafka = createKafka({ brokers: inject('brokers'), clientId });
  const admin = kafka.admin();
  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());
  const random = () => randomBytes(6).toString('hex');
  return {
    pool,
    kafka,
    admin,
    newSchema,
    world: async (partitions = 3) => {
      const w = {
        schema: newSchema(),
        topics: topicNames(`t-${random()}-`),
        groupId: `projector-${random()}`,
      };
      await ensureTopics(kafka, w.topics, { partitions });
      return w;
    },
    topicEnd: async (topic) =>
      new Map(
        (await admin.fetchTopicOffsets(topic))
          .filter((o) => o.high !== '0')
          .map((o) => [o.partition, BigInt(o.high)]),
      ),
    waitCaughtUp: (w, { timeoutMs = 120_000, ...options } = {}) =>
      waitUntil(
        () => projectionCaughtUp(admin, pool, w, options),
        timeoutMs,
        `${w.schema} to reach the end of ${options.topic ?? w.topics.attestations}`,
      ),
  };
}

/** Whether the projection stored, for each partition of the topic, the partition's end offset. */
export async function projectionCaughtUp(
  admin: Admin,
  pool: Pool,
  w: World,
  { topic = w.topics.attestations, projection = w.groupId }: CaughtUpOptions = {},
): Promise<boolean> {
  const end = await admin.fetchTopicOffsets(topic);
  const stored = await readOffsets(pool, w.schema, projection, topic).catch(
    () => new Map<number, bigint>(),
  );
  return end.every((o) => (stored.get(o.partition) ?? 0n) === BigInt(o.high));
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
