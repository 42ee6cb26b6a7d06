import type { Consumer, ConsumerConfig, Kafka, KafkaMessage } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';
import { StoreError } from './errors.js';
import { qualifiedName } from './identifier.js';
import { inTransaction } from './transaction.js';
import {
  advancePosition,
  claimPosition,
  ensureOffsetsTable,
  loadPosition,
  passFiltered,
} from './offsets.js';

/**
 * Folds one batch of records into Postgres, inside the runner's open transaction on `client`. It
 * sees each record once: records already projected (below the stored position) are filtered out
 * before the call. Throwing rolls back the batch; kafkajs then redelivers it.
 */
export type Project = (
  client: PoolClient,
  partition: number,
  messages: KafkaMessage[],
) => Promise<void>;

/** What one committed batch did. */
export interface BatchCommitted {
  partition: number;
  /** Records handed to `project`. */
  projected: number;
  /** Records skipped as already projected (redelivery). */
  skipped: number;
  /** The position stored with the batch. */
  nextOffset: bigint;
}

export interface RunProjectionOptions {
  kafka: Kafka;
  pool: Pool;
  /** Postgres schema holding `projection_offsets` (and, by convention, the projection's tables). */
  schema: string;
  /** Kafka consumer group; only used to share partitions between instances, never for offsets. */
  groupId: string;
  topic: string;
  project: Project;
  /** The name positions are stored under; defaults to `groupId`. */
  projection?: string;
  /** Consumer settings (fetch sizes, timeouts); group id and isolation level are fixed. */
  consumer?: Omit<Partial<ConsumerConfig>, 'groupId' | 'readUncommitted'>;
  /** How many partitions are projected at once (each holds one pooled connection); default 4. */
  partitionsConsumedConcurrently?: number;
  /** Called after each committed batch. */
  onBatch?(batch: BatchCommitted): void;
  /** Called when the consumer stops for good on an error kafkajs will not restart from. */
  onCrash?(error: Error): void;
}

/** A running projection. */
export interface RunningProjection {
  /** Finishes the batch in flight, leaves the group and disconnects. Does not end the pool. */
  stop(): Promise<void>;
}

/**
 * Runs a projection of `topic` into Postgres, exactly once per record: each kafkajs batch is applied
 * in ONE Postgres transaction that also moves the partition's stored position
 * (`<schema>.projection_offsets`), so rows and position commit or roll back together.
 *
 * Postgres, not Kafka, is the source of truth for positions: autoCommit is off, and on every
 * partition assignment (and before the first batch of a partition) the consumer seeks to the stored
 * next offset. Records below the stored position (redelivery, a lagging or zombie instance) are
 * skipped inside the transaction, after locking the position row.
 * @throws StoreError INVALID_IDENTIFIER; kafkajs errors when the group cannot be joined.
 */
export async function runProjection(options: RunProjectionOptions): Promise<RunningProjection> {
  const { pool, topic } = options;
  await ensureOffsetsTable(pool, options.schema);
  const target: Target = {
    pool,
    topic,
    schema: options.schema,
    table: qualifiedName(options.schema, 'projection_offsets'),
    projection: options.projection ?? options.groupId,
    // The schema this run writes to, by identity: a rebuild swaps another schema in under the same name.
    schemaOid: await namespaceOid(pool, options.schema),
  };
  const consumer = createConsumer(options);
  const position = positionOnJoin(consumer, target);
  const pending = passMarkers(consumer, target);
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) options.onCrash?.(schemaReplaced(payload.error) ?? payload.error);
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumeBatches(consumer, options, target, position);
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }
  return {
    stop: async () => {
      await consumer.disconnect();
      await Promise.all(pending);
    },
  };
}

/** Where a projection writes: the pool, its schema (and that schema's identity) and positions. */
interface Target {
  pool: Pool;
  topic: string;
  schema: string;
  /** The qualified `projection_offsets` table. */
  table: string;
  /** The name positions are stored under. */
  projection: string;
  schemaOid: string | null;
}

/** A read_committed consumer that stops for good once the schema it writes to was replaced. */
function createConsumer(options: RunProjectionOptions): Consumer {
  return options.kafka.consumer({
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    allowAutoTopicCreation: false,
    ...options.consumer,
    // A swapped schema is final for this run: crash for good instead of retrying into new tables.
    retry: {
      ...options.consumer?.retry,
      restartOnFailure: async (error: Error) => !schemaReplaced(error),
    },
    groupId: options.groupId,
    // The ledger is written in Kafka transactions: read only committed records.
    readUncommitted: false,
  });
}

/**
 * Seeks each assigned partition to its stored position, starting at assignment.
 * @returns the wait for a partition's seek (started again when the last one failed).
 */
function positionOnJoin(consumer: Consumer, target: Target): (partition: number) => Promise<void> {
  const { pool, table, projection, topic } = target;
  const positioning = new Map<number, Promise<void>>();
  const position = (partition: number): Promise<void> => {
    const seek = loadPosition(pool, table, projection, topic, partition).then((next) => {
      consumer.seek({ topic, partition, offset: next.toString() });
    });
    positioning.set(partition, seek);
    // A failed load is retried before the partition's next batch.
    seek.catch(() => positioning.get(partition) === seek && positioning.delete(partition));
    return seek;
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    positioning.clear();
    for (const partition of payload.memberAssignment[topic] ?? [])
      void position(partition).catch(() => undefined);
  });
  return async (partition) => {
    try {
      await (positioning.get(partition) ?? position(partition));
    } catch (error) {
      positioning.delete(partition);
      throw error;
    }
  };
}

/**
 * kafkajs never hands eachBatch a fetch that holds only transaction markers or aborted records
 * (e.g. an aborted transaction at the end of the log); it reports it here. Record the position past
 * them, so a caught-up projection stands at the topic's end.
 * @returns the writes in flight, for `stop` to await.
 */
function passMarkers(consumer: Consumer, target: Target): Set<Promise<unknown>> {
  const { pool, table, projection, topic } = target;
  const pending = new Set<Promise<unknown>>();
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const first = payload.firstOffset as string | null;
    if (payload.topic !== topic || payload.batchSize !== 0 || first === null) return;
    const pass = passFiltered(
      pool,
      table,
      projection,
      topic,
      payload.partition,
      BigInt(first),
      BigInt(payload.lastOffset),
    )
      // Best effort: the next batch of the partition moves the position past these offsets anyway.
      .catch(() => undefined)
      .finally(() => pending.delete(pass));
    pending.add(pass);
  });
  return pending;
}

/** Runs the consumer: each batch waits for its partition's seek, then is applied in one transaction. */
async function consumeBatches(
  consumer: Consumer,
  options: RunProjectionOptions,
  target: Target,
  positioned: (partition: number) => Promise<void>,
): Promise<void> {
  await consumer.run({
    autoCommit: false,
    // Only batches that were applied are resolved; a batch dropped for a seek must not move the position.
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const last = batch.messages.at(-1);
      if (!isRunning() || isStale() || last === undefined) return;
      const { partition } = batch;
      await positioned(partition);
      // A seek to the stored position superseded this batch: it is fetched again from there.
      if (isStale()) return;
      // lastOffset() counts trailing transaction markers kafkajs filtered out, so the stored
      // position moves past them too.
      const committed = await applyBatch(
        target,
        options.project,
        partition,
        batch.messages,
        BigInt(batch.lastOffset()),
      );
      resolveOffset(last.offset);
      options.onBatch?.(committed);
      await heartbeat();
    },
  });
}

/**
 * Projects the records at or past the stored position and moves the position, in one transaction,
 * checking the schema is still the one this run started on when it starts and just before commit.
 * @throws StoreError SCHEMA_REPLACED; the projection's and pg's errors (rolled back).
 */
async function applyBatch(
  target: Target,
  project: Project,
  partition: number,
  messages: KafkaMessage[],
  lastOffset: bigint,
): Promise<BatchCommitted> {
  const { table, projection, topic } = target;
  return inTransaction(target.pool, async (client) => {
    await assertSameSchema(client, target);
    const stored = await claimPosition(client, table, projection, topic, partition);
    // Redelivered records (below the stored position) were applied by an earlier transaction.
    const fresh = messages.filter((m) => BigInt(m.offset) >= stored);
    if (fresh.length > 0) await project(client, partition, fresh);
    const nextOffset = lastOffset + 1n > stored ? lastOffset + 1n : stored;
    if (nextOffset !== stored)
      await advancePosition(client, table, projection, topic, partition, nextOffset);
    await assertSameSchema(client, target);
    return {
      partition,
      projected: fresh.length,
      skipped: messages.length - fresh.length,
      nextOffset,
    };
  });
}

/** @throws StoreError SCHEMA_REPLACED when the schema's name now belongs to another schema. */
async function assertSameSchema(client: PoolClient, target: Target): Promise<void> {
  if ((await namespaceOid(client, target.schema)) !== target.schemaOid) {
    throw new StoreError(
      'SCHEMA_REPLACED',
      `schema ${target.schema} was replaced while projecting; restart the projection`,
    );
  }
}

async function namespaceOid(db: Pick<Pool, 'query'>, schema: string): Promise<string | null> {
  const { rows } = await db.query<{ oid: string }>(
    'SELECT oid::text AS oid FROM pg_namespace WHERE nspname = $1',
    [schema],
  );
  return rows[0]?.oid ?? null;
}

/** The SCHEMA_REPLACED error inside kafkajs' retry wrappers (`cause`), if that is what failed. */
function schemaReplaced(error: unknown): StoreError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof StoreError && e.code === 'SCHEMA_REPLACED') return e;
  }
  return undefined;
}
