import { randomUUID } from 'node:crypto';
import type { ConsumerConfig, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { LineageKafkaError } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import {
  ensureOffsetsTable,
  isIdentifier,
  migrate,
  quoteSchema,
  readOffsets,
  runProjection,
} from '@lineage/store';
import type { Project, RunningProjection } from '@lineage/store';
import { projectionChecksum } from './checksum.js';
import type { ProjectionChecksum } from './checksum.js';
import { ProjectorError } from './errors.js';
import { PROJECTION_MIGRATIONS as PROJECTOR_MIGRATIONS } from '@lineage/projection';
import { projectAttestations, projectCheckpoints, projectPolicies } from './project.js';
import type { OnSkip } from './project.js';

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

/** What {@link rebuildProjection} did. */
export interface RebuildResult {
  /** The schema now holding the rebuilt projection (the `schema` option). */
  schema: string;
  /** The replaced schema when `keepOld` was set and there was one; otherwise undefined (dropped). */
  oldSchema?: string;
  /** Records handed to the projection (decoded or skipped), over the whole replay. */
  records: number;
  /** Seconds from the start of the replay until the last position reached the end (migration and swap excluded). */
  seconds: number;
  /** `records / seconds`. */
  ratePerSec: number;
  /** Seconds until the first batch committed: joining the throwaway consumer group, first fetch. */
  firstBatchSeconds: number;
  /** Records per second after the first batch: the replay's own throughput, group join excluded. */
  streamingRatePerSec: number;
  /** Attestations topic end per partition captured at the start: the rebuild replayed at least this far. */
  ends: Record<number, string>;
  /** Attestations topic positions the new tables hold: a restarted projector continues from here. */
  positions: Record<number, string>;
  /** The same for the policies topic, and the policy records replayed. */
  policies: { records: number; ends: Record<number, string>; positions: Record<number, string> };
  /** The same for the checkpoints topic. */
  checkpoints: {
    records: number;
    ends: Record<number, string>;
    positions: Record<number, string>;
  };
  /** Checksum of the swapped-in tables. */
  checksum: ProjectionChecksum;
}

/** UTC `yyyymmddhhmmss`. */
function stamp(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

async function schemaExists(pool: Pool, schema: string): Promise<boolean> {
  const { rows } = await pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
  return rows.length > 0;
}

/**
 * Rebuilds the projector's tables from offset 0 of the attestations and policies topics
 * (ARCHITECTURE.md §3.6) and swaps them in:
 *
 * 1. Captures the topics' ends (attestations, policies, checkpoints) (read_committed last stable offsets) and creates a FRESH schema
 *    `<schema>_rebuild_<yyyymmddhhmmss>`, migrated with {@link PROJECTOR_MIGRATIONS}.
 * 2. Replays each topic into it through the projector's own write path: `runProjection` with
 *    {@link projectAttestations} (then {@link projectPolicies}, then {@link projectCheckpoints}), rows and positions in one
 *    transaction per batch, under a throwaway consumer group. It stops once every partition's stored
 *    position reached the captured end (positions move past transaction markers, so a partition
 *    ending in a commit marker finishes).
 * 3. In ONE transaction renames `<schema>` to `<schema>_old_<ts>` and the fresh schema to `<schema>`,
 *    then drops the old one unless `keepOld`.
 *
 * A live projector may keep writing to the old schema while this runs. The swap takes the fresh
 * tables, whose positions continue from where the rebuild stopped, not from where the live instance
 * stood. **Restart every live projector instance of this schema right after the swap** (or stop them
 * before it): a running instance keeps its own consumer position and, writing by name into the new
 * tables, could move their positions past records it never wrote there.
 * @throws ProjectorError INVALID_ARGUMENT (schema name too long or not an identifier, or the fresh
 *   schema name already taken); LineageKafkaError RESTORE_TIMEOUT when no batch committed for
 *   `stallTimeoutMs`; StoreError from migrations; kafkajs and pg errors. On any error before the
 *   swap the fresh schema is dropped and the live one is untouched.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { kafka, pool } = options;
  const schema = options.schema ?? 'lineage';
  const projection = options.projection ?? 'lineage-projector';
  const topic = options.topics.attestations;
  const policyTopic = options.topics.policies;
  const checkpointTopic = options.topics.checkpoints;
  const log = options.log ?? (() => undefined);
  const ts = stamp(new Date());
  const fresh = `${schema}_rebuild_${ts}`;
  const old = `${schema}_old_${ts}`;
  quoteSchema(schema);
  if (!isIdentifier(fresh) || !isIdentifier(old))
    throw new ProjectorError(
      'INVALID_ARGUMENT',
      `schema ${schema} is too long to rebuild: ${fresh} must match ^[a-z_][a-z0-9_]{0,40}$`,
    );
  if ((await schemaExists(pool, fresh)) || (await schemaExists(pool, old)))
    throw new ProjectorError('INVALID_ARGUMENT', `${fresh} or ${old} already exists; retry`);

  // 1. The end to reach, captured before reading: what the ledger held when the rebuild began.
  const admin = kafka.admin();
  await admin.connect();
  let bounds: Bound[];
  let policyBounds: Bound[];
  let checkpointBounds: Bound[];
  try {
    bounds = await boundsOf(admin, topic);
    // A deployment from before the policies (checkpoints) topic has none: nothing to replay from it.
    const existing = await admin.listTopics();
    policyBounds = existing.includes(policyTopic) ? await boundsOf(admin, policyTopic) : [];
    checkpointBounds = existing.includes(checkpointTopic)
      ? await boundsOf(admin, checkpointTopic)
      : [];
  } finally {
    await admin.disconnect();
  }
  const targets = targetsOf(bounds);
  const policyTargets = targetsOf(policyBounds);
  const checkpointTargets = targetsOf(checkpointBounds);
  const sizeOf = (t: Map<number, Bound>) =>
    [...t.values()].reduce((n, b) => n + Number(b.high - b.low), 0);
  const total = sizeOf(targets) + sizeOf(policyTargets) + sizeOf(checkpointTargets);

  let swapped = false;
  try {
    await migrate(pool, fresh, PROJECTOR_MIGRATIONS);
    await ensureOffsetsTable(pool, fresh);
    log('rebuild started', { schema, fresh, topic, total });

    // 2. Replay through the projector's write path until every partition reached its end.
    const started = performance.now();
    const onSkip: OnSkip = (skip) => log('record skipped', { ...skip });
    const replay = await replayToEnd({
      ...options,
      fresh,
      projection,
      topic,
      project: projectAttestations(fresh, onSkip),
      targets,
      base: 0,
      total,
      started,
      log,
    });
    const policyReplay = await replayToEnd({
      ...options,
      fresh,
      projection,
      topic: policyTopic,
      project: projectPolicies(fresh, (skip) =>
        onSkip({ ...skip, detail: `${policyTopic}: ${skip.detail}` }),
      ),
      targets: policyTargets,
      base: sizeOf(targets),
      total,
      started,
      log,
    });
    const checkpointReplay = await replayToEnd({
      ...options,
      fresh,
      projection,
      topic: checkpointTopic,
      project: projectCheckpoints(fresh, topic, (skip) =>
        onSkip({ ...skip, detail: `${checkpointTopic}: ${skip.detail}` }),
      ),
      targets: checkpointTargets,
      base: sizeOf(targets) + sizeOf(policyTargets),
      total,
      started,
      log,
    });
    const records = replay.records + policyReplay.records + checkpointReplay.records;
    const seconds =
      checkpointTargets.size > 0
        ? checkpointReplay.seconds
        : policyTargets.size > 0
          ? policyReplay.seconds
          : replay.seconds;
    const { firstBatchSeconds } = replay;
    const streaming = seconds - firstBatchSeconds;

    // 3. The swap: both renames commit together, or neither does.
    const client = await pool.connect();
    let broken: Error | undefined;
    let replaced = false;
    try {
      await client.query('BEGIN');
      try {
        const { rows } = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [
          schema,
        ]);
        replaced = rows.length > 0;
        if (replaced)
          await client.query(`ALTER SCHEMA ${quoteSchema(schema)} RENAME TO ${quoteSchema(old)}`);
        await client.query(`ALTER SCHEMA ${quoteSchema(fresh)} RENAME TO ${quoteSchema(schema)}`);
        await client.query('COMMIT');
        swapped = true;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken =
            rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      }
    } finally {
      client.release(broken);
    }
    log('rebuild swapped in', { schema, replaced: replaced ? old : null });
    if (replaced && options.keepOld !== true)
      await pool.query(`DROP SCHEMA ${quoteSchema(old)} CASCADE`);

    const positions = await readOffsets(pool, schema, projection, topic);
    const policyPositions = await readOffsets(pool, schema, projection, policyTopic);
    const checkpointPositions = await readOffsets(pool, schema, projection, checkpointTopic);
    const ends = (b: Bound[]) => Object.fromEntries(b.map((x) => [x.partition, x.high.toString()]));
    const stored = (p: Map<number, bigint>) =>
      Object.fromEntries([...p].map(([partition, o]) => [partition, o.toString()]));
    return {
      schema,
      oldSchema: replaced && options.keepOld === true ? old : undefined,
      records,
      seconds,
      ratePerSec: seconds > 0 ? records / seconds : 0,
      firstBatchSeconds,
      streamingRatePerSec: streaming > 0 ? records / streaming : 0,
      ends: ends(bounds),
      positions: stored(positions),
      policies: {
        records: policyReplay.records,
        ends: ends(policyBounds),
        positions: stored(policyPositions),
      },
      checkpoints: {
        records: checkpointReplay.records,
        ends: ends(checkpointBounds),
        positions: stored(checkpointPositions),
      },
      checksum: await projectionChecksum(pool, schema),
    };
  } finally {
    if (!swapped)
      await pool
        .query(`DROP SCHEMA IF EXISTS ${quoteSchema(fresh)} CASCADE`)
        .catch(() => undefined);
  }
}

interface Bound {
  partition: number;
  low: bigint;
  high: bigint;
}

async function boundsOf(admin: ReturnType<Kafka['admin']>, topic: string): Promise<Bound[]> {
  return (await admin.fetchTopicOffsets(topic)).map((o) => ({
    partition: o.partition,
    low: BigInt(o.low),
    high: BigInt(o.high),
  }));
}

const targetsOf = (bounds: Bound[]): Map<number, Bound> =>
  new Map(bounds.filter((b) => b.high > b.low).map((b) => [b.partition, b]));

interface ReplayOptions extends RebuildOptions {
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

/** Runs the projection into `fresh` until its stored positions reach every target end. */
async function replayToEnd(
  o: ReplayOptions,
): Promise<{ records: number; seconds: number; firstBatchSeconds: number }> {
  let records = 0;
  let firstBatch: number | undefined;
  if (o.targets.size === 0)
    return { records, seconds: (performance.now() - o.started) / 1000, firstBatchSeconds: 0 };
  const reached = new Map<number, bigint>();
  const done = () =>
    [...o.targets.values()].reduce((n, b) => {
      const at = reached.get(b.partition) ?? b.low;
      return n + Number((at < b.high ? at : b.high) - b.low);
    }, o.base);

  let fail!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  let lastBatch = performance.now();
  const groupId = `lineage-rebuild-${randomUUID()}`;
  const running: RunningProjection = await runProjection({
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
      records += batch.projected;
      lastBatch = performance.now();
      firstBatch ??= lastBatch;
      const previous = reached.get(batch.partition) ?? 0n;
      if (batch.nextOffset > previous) reached.set(batch.partition, batch.nextOffset);
      o.onProgress?.({
        done: done(),
        total: o.total,
        records,
        elapsedMs: lastBatch - o.started,
      });
    },
    onCrash: (error) => fail(error),
  });
  const stallMs = o.stallTimeoutMs ?? 120_000;
  try {
    for (;;) {
      // Positions also move past marker-only fetches outside onBatch: read what is stored.
      const stored = await readOffsets(o.pool, o.fresh, o.projection, o.topic);
      for (const [p, next] of stored) if (next > (reached.get(p) ?? 0n)) reached.set(p, next);
      if ([...o.targets.values()].every((b) => (stored.get(b.partition) ?? 0n) >= b.high)) break;
      if (performance.now() - lastBatch > stallMs)
        throw new LineageKafkaError(
          'RESTORE_TIMEOUT',
          `rebuild of ${o.topic} made no progress for ${stallMs} ms (at ${done()}/${o.total})`,
        );
      await Promise.race([failed, new Promise((r) => setTimeout(r, 100))]);
    }
    const end = performance.now();
    o.onProgress?.({ done: done(), total: o.total, records, elapsedMs: end - o.started });
    return {
      records,
      seconds: (end - o.started) / 1000,
      firstBatchSeconds: ((firstBatch ?? end) - o.started) / 1000,
    };
  } finally {
    await running.stop();
    const admin = o.kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
