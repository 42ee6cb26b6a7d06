import type { Kafka } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';
import type { TopicNames } from '@lineage/kafka';
import {
  ensureOffsetsTable,
  inTransaction,
  isIdentifier,
  migrate,
  quoteSchema,
  readOffsets,
} from '@lineage/store';
import { projectionChecksum } from '@lineage/projection';
import type { ProjectionChecksum } from '@lineage/projection';
import { ProjectorError } from './errors.js';
import { PROJECTION_MIGRATIONS as PROJECTOR_MIGRATIONS } from '@lineage/projection';
import { projectAttestations, projectCheckpoints, projectPolicies } from '@lineage/projection';
import type { OnSkip } from '@lineage/projection';
import { boundsOf, replayToEnd, sizeOf, targetsOf } from './replay.js';
import type { Bound } from './replay.js';

import type { RebuildOptions } from './rebuild-options.js';
export type { RebuildOptions, RebuildProgress } from './rebuild-options.js';

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

async function schemaExists(
  db: Pick<Pool, 'query'> | PoolClient,
  schema: string,
): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
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
  const plan = await planRebuild(options);
  // 1. The end to reach, captured before reading: what the ledger held when the rebuild began.
  const ends = await captureEnds(options.kafka, options.topics);
  let swapped = false;
  try {
    await migrate(options.pool, plan.fresh, PROJECTOR_MIGRATIONS);
    await ensureOffsetsTable(options.pool, plan.fresh);
    plan.log('rebuild started', {
      schema: plan.schema,
      fresh: plan.fresh,
      topic: plan.topics.attestations,
      total: ends.total,
    });
    // 2. Replay through the projector's write path until every partition reached its end.
    const replays = await replayAll(options, plan, ends);
    // 3. The swap: both renames commit together, or neither does.
    const replaced = await swapSchemas(options.pool, plan);
    swapped = true;
    plan.log('rebuild swapped in', { schema: plan.schema, replaced: replaced ? plan.old : null });
    if (replaced && options.keepOld !== true)
      await options.pool.query(`DROP SCHEMA ${quoteSchema(plan.old)} CASCADE`);
    return await summarize(options, plan, ends, replays, replaced);
  } finally {
    if (!swapped)
      await options.pool
        .query(`DROP SCHEMA IF EXISTS ${quoteSchema(plan.fresh)} CASCADE`)
        .catch(() => undefined);
  }
}

/** The names a rebuild works with: the live schema, the fresh and old ones, topics and the log. */
interface RebuildPlan {
  schema: string;
  projection: string;
  fresh: string;
  old: string;
  topics: TopicNames;
  log: (event: string, fields?: Record<string, unknown>) => void;
}

/**
 * Names the fresh and old schemas after now, and checks they can be made.
 * @throws ProjectorError INVALID_ARGUMENT when a name is too long or already taken.
 */
async function planRebuild(options: RebuildOptions): Promise<RebuildPlan> {
  const schema = options.schema ?? 'lineage';
  const ts = stamp(new Date());
  const fresh = `${schema}_rebuild_${ts}`;
  const old = `${schema}_old_${ts}`;
  quoteSchema(schema);
  if (!isIdentifier(fresh) || !isIdentifier(old))
    throw new ProjectorError(
      'INVALID_ARGUMENT',
      `schema ${schema} is too long to rebuild: ${fresh} must match ^[a-z_][a-z0-9_]{0,40}$`,
    );
  if ((await schemaExists(options.pool, fresh)) || (await schemaExists(options.pool, old)))
    throw new ProjectorError('INVALID_ARGUMENT', `${fresh} or ${old} already exists; retry`);
  return {
    schema,
    projection: options.projection ?? 'lineage-projector',
    fresh,
    old,
    topics: options.topics,
    log: options.log ?? (() => undefined),
  };
}

/** Each topic's captured ends, the partitions to replay, and the offsets to pass in all. */
interface Ends {
  attestations: Bound[];
  policies: Bound[];
  checkpoints: Bound[];
  total: number;
}

/** The attestations, policies and checkpoints topics' ends (read_committed last stable offsets). */
async function captureEnds(kafka: Kafka, topics: TopicNames): Promise<Ends> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const attestations = await boundsOf(admin, topics.attestations);
    // A deployment from before the policies (checkpoints) topic has none: nothing to replay from it.
    const existing = await admin.listTopics();
    const optional = async (topic: string) =>
      existing.includes(topic) ? await boundsOf(admin, topic) : [];
    const policies = await optional(topics.policies);
    const checkpoints = await optional(topics.checkpoints);
    const total = sizeOf(attestations) + sizeOf(policies) + sizeOf(checkpoints);
    return { attestations, policies, checkpoints, total };
  } finally {
    await admin.disconnect();
  }
}

type Replayed = Awaited<ReturnType<typeof replayToEnd>>;

/** Replays the three topics one after the other into the fresh schema, progress counted across them. */
async function replayAll(options: RebuildOptions, plan: RebuildPlan, ends: Ends) {
  const { fresh, projection, topics, log } = plan;
  const started = performance.now();
  const onSkip: OnSkip = (skip) => log('record skipped', { ...skip });
  const skipIn =
    (topic: string): OnSkip =>
    (skip) =>
      onSkip({ ...skip, detail: `${topic}: ${skip.detail}` });
  const common = { ...options, fresh, projection, total: ends.total, started, log };
  const attestations = await replayToEnd({
    ...common,
    topic: topics.attestations,
    project: projectAttestations(fresh, onSkip),
    targets: targetsOf(ends.attestations),
    base: 0,
  });
  const policies = await replayToEnd({
    ...common,
    topic: topics.policies,
    project: projectPolicies(fresh, skipIn(topics.policies)),
    targets: targetsOf(ends.policies),
    base: sizeOf(ends.attestations),
  });
  const checkpoints = await replayToEnd({
    ...common,
    topic: topics.checkpoints,
    project: projectCheckpoints(fresh, topics.attestations, skipIn(topics.checkpoints)),
    targets: targetsOf(ends.checkpoints),
    base: sizeOf(ends.attestations) + sizeOf(ends.policies),
  });
  return { attestations, policies, checkpoints };
}

/**
 * Renames the live schema to the old name and the fresh one to the live name in one transaction.
 * @returns whether there was a live schema to replace.
 */
async function swapSchemas(pool: Pool, plan: RebuildPlan): Promise<boolean> {
  const { schema, fresh, old } = plan;
  return inTransaction(pool, async (client) => {
    const replaced = await schemaExists(client, schema);
    if (replaced)
      await client.query(`ALTER SCHEMA ${quoteSchema(schema)} RENAME TO ${quoteSchema(old)}`);
    await client.query(`ALTER SCHEMA ${quoteSchema(fresh)} RENAME TO ${quoteSchema(schema)}`);
    return replaced;
  });
}

/** What the rebuild did: records and rates, captured ends against stored positions, the checksum. */
async function summarize(
  options: RebuildOptions,
  plan: RebuildPlan,
  ends: Ends,
  replays: { attestations: Replayed; policies: Replayed; checkpoints: Replayed },
  replaced: boolean,
): Promise<RebuildResult> {
  const { pool } = options;
  const { schema, projection, topics } = plan;
  const { attestations, policies, checkpoints } = replays;
  const records = attestations.records + policies.records + checkpoints.records;
  // The replay ended with the last topic that had anything to replay.
  const seconds = ends.checkpoints.some((b) => b.high > b.low)
    ? checkpoints.seconds
    : ends.policies.some((b) => b.high > b.low)
      ? policies.seconds
      : attestations.seconds;
  const { firstBatchSeconds } = attestations;
  const streaming = seconds - firstBatchSeconds;
  const endsOf = (b: Bound[]) => Object.fromEntries(b.map((x) => [x.partition, x.high.toString()]));
  const stored = async (topic: string) =>
    Object.fromEntries(
      [...(await readOffsets(pool, schema, projection, topic))].map(([p, o]) => [p, o.toString()]),
    );
  return {
    schema,
    oldSchema: replaced && options.keepOld === true ? plan.old : undefined,
    records,
    seconds,
    ratePerSec: seconds > 0 ? records / seconds : 0,
    firstBatchSeconds,
    streamingRatePerSec: streaming > 0 ? records / streaming : 0,
    ends: endsOf(ends.attestations),
    positions: await stored(topics.attestations),
    policies: {
      records: policies.records,
      ends: endsOf(ends.policies),
      positions: await stored(topics.policies),
    },
    checkpoints: {
      records: checkpoints.records,
      ends: endsOf(ends.checkpoints),
      positions: await stored(topics.checkpoints),
    },
    checksum: await projectionChecksum(pool, schema),
  };
}
