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
import type { LedgerRecord } from '@lineage/testkit';
import { rebuildProjection } from './rebuild.js';
import { startProjector } from './service.js';
import type { Projector, ProjectorOptions } from './service.js';
import type { RebuildOptions, RebuildResult } from './rebuild.js';

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
  /**
   * Starts a projector on the world (3 partitions, short long-polls: `stop` waits for the fetch in
   * flight), stopped after the file's tests if the test did not.
   */
  start(w: World, options?: Partial<ProjectorOptions>): Promise<Projector>;
  /** Rebuilds the world's projection from offset 0 (its schema, topics and group). */
  rebuild(w: World, options?: Partial<RebuildOptions>): Promise<RebuildResult>;
  /** The world's rows as sorted lines, to compare with {@link expectedLines}. */
  lines(w: World): Promise<ProjectedLines>;
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
  const running = new Set<Projector>();
  beforeAll(() => admin.connect());
  afterAll(async () => {
    for (const p of running) await p.stop();
    await admin.disconnect();
  });
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
    start: async (w, options = {}) => {
      const p = await startProjector({
        kafka,
        pool,
        schema: w.schema,
        topics: w.topics,
        groupId: w.groupId,
        partitions: 3,
        consumer: { maxWaitTimeInMs: 200 },
        ...options,
      });
      running.add(p);
      return {
        stop: async () => {
          running.delete(p);
          await p.stop();
        },
      };
    },
    rebuild: (w, options) => rebuildWorld(kafka, pool, w, options),
    lines: (w) => projectedLines(pool, w.schema),
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

/** {@link rebuildProjection} of a world: its schema, topics and group as the projection's name. */
export function rebuildWorld(
  kafka: Kafka,
  pool: Pool,
  w: World,
  options: Partial<RebuildOptions> = {},
): Promise<RebuildResult> {
  return rebuildProjection({
    kafka,
    pool,
    schema: w.schema,
    topics: w.topics,
    projection: w.groupId,
    ...options,
  });
}

/** A projection's executions and lineage edges, as sorted `|`-joined lines. */
export interface ProjectedLines {
  executions: string[];
  edges: string[];
}

/** The lines a ledger must become: one per attestation, one per parent reference of a decision. */
export function expectedLines(ledger: readonly LedgerRecord[]): ProjectedLines {
  const executions = ledger
    .map((a) => `${a.digest}|${a.executionId}|${a.kind}|${a.decision}`)
    .sort();
  const edges = ledger
    .filter((a) => a.kind === 'decision')
    .flatMap((a) => a.parentRefs.map((p) => `${a.executionId}|${p.execution_id}|${p.attestation}`))
    .sort();
  return { executions, edges };
}

/** The lines `schema` holds, in the shape of {@link expectedLines}. */
export async function projectedLines(pool: Pool, schema: string): Promise<ProjectedLines> {
  const executions = await pool.query<{ line: string }>(
    `SELECT concat_ws('|', attestation_digest, execution_id, kind, decision) AS line FROM "${schema}".executions`,
  );
  const edges = await pool.query<{ line: string }>(
    `SELECT concat_ws('|', child_id, parent_id, parent_attestation) AS line FROM "${schema}".lineage_edges`,
  );
  return {
    executions: executions.rows.map((r) => r.line).sort(),
    edges: edges.rows.map((r) => r.line).sort(),
  };
}

/** Rows of `schema`'s executions table; 0 while it does not exist (or Postgres does not answer). */
export async function rowCount(pool: Pool, schema: string): Promise<number> {
  const { rows } = await pool
    .query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".executions`)
    .catch(() => ({ rows: [{ n: 0 }] }));
  return rows[0]!.n;
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
  const rebuilt = await rebuildWorld(kafka, pool, w, { keepOld: true });
  expect(rebuilt.records).toBe(total);
  expect(rebuilt.checksum.combined).toBe(live.combined);
  expect(rebuilt.checksum.offsets).toEqual(live.offsets);
  return { live, rebuilt };
}
