import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate } from './migrate.js';
import { readOffsets } from './offsets.js';
import { createPool } from './pool.js';
import type {
  BatchCommitted,
  Project,
  RunProjectionOptions,
  RunningProjection,
} from './projection.js';
import { runProjection } from './projection.js';
import type { StoreError } from './errors.js';

// Given records on a topic, when projected by runProjection into a table WITHOUT a uniqueness
// constraint, then every record appears exactly once: any double application would show as a
// duplicate row.

let pool: Pool;
let kafka: Kafka;
let admin: Admin;
const schemas: string[] = [];
const running = new Set<RunningProjection>();
const random = () => randomBytes(6).toString('hex');

beforeAll(async () => {
  pool = createPool(inject('databaseUrl'), { max: 20 });
  kafka = new Kafka({
    clientId: 'store-int',
    brokers: inject('brokers'),
    logLevel: logLevel.ERROR,
  });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const r of running) await r.stop();
  await admin.disconnect();
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

/** A schema with an append-only `events` table, and a topic with `partitions` partitions. */
async function setup(partitions = 3): Promise<{ schema: string; topic: string }> {
  const schema = `t_${random()}`;
  schemas.push(schema);
  await migrate(pool, schema, [
    {
      version: 1,
      name: 'events',
      sql: (s) => `CREATE TABLE ${s}.events (partition int, "offset" bigint, value text)`,
    },
  ]);
  const topic = `t-${random()}-store.events`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: partitions }],
  });
  return { schema, topic };
}

/** Produces `count` records in sends of `perSend`, so the log holds many small record batches. */
async function produce(topic: string, count: number, perSend = 5): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < count; i += perSend) {
      const messages = Array.from({ length: Math.min(perSend, count - i) }, (_, j) => ({
        key: `k${(i + j) % 17}`,
        value: `v${i + j}`,
      }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

const appendEvents =
  (schema: string): Project =>
  async (client, partition, messages) => {
    for (const m of messages) {
      await client.query(
        `INSERT INTO "${schema}".events (partition, "offset", value) VALUES ($1, $2, $3)`,
        [partition, m.offset, m.value?.toString() ?? null],
      );
    }
  };

async function start(
  options: Omit<RunProjectionOptions, 'kafka' | 'pool'>,
): Promise<RunningProjection> {
  const r = await runProjection({
    kafka,
    pool,
    consumer: { maxBytesPerPartition: 512, maxWaitTimeInMs: 100 },
    ...options,
  });
  running.add(r);
  return {
    stop: async () => {
      running.delete(r);
      await r.stop();
    },
  };
}

/** Starts the appending projection `projection` of `topic` into `schema` under a fresh group. */
function startAppending(
  schema: string,
  topic: string,
  projection: string,
  options: Partial<RunProjectionOptions> = {},
): Promise<RunningProjection> {
  return start({
    schema,
    topic,
    groupId: `g-${random()}`,
    projection,
    project: appendEvents(schema),
    ...options,
  });
}

/** Waits until `projection` has stored the end of `topic` for every partition with records. */
function untilCaughtUp(schema: string, projection: string, topic: string): Promise<void> {
  return waitFor('the projection to reach the topic end', () =>
    caughtUp(schema, projection, topic),
  );
}

async function topicEnd(topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.filter((o) => o.high !== '0').map((o) => [o.partition, BigInt(o.high)]));
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function caughtUp(schema: string, projection: string, topic: string): Promise<boolean> {
  const [stored, end] = await Promise.all([
    readOffsets(pool, schema, projection, topic),
    topicEnd(topic),
  ]);
  return [...end].every(([p, high]) => stored.get(p) === high);
}

async function events(schema: string): Promise<{ rows: number; distinct: number }> {
  const { rows } = await pool.query<{ rows: string; distinct: string }>(
    `SELECT count(*) AS rows, count(DISTINCT (partition, "offset")) AS distinct FROM "${schema}".events`,
  );
  return { rows: Number(rows[0]!.rows), distinct: Number(rows[0]!.distinct) };
}

describe('runProjection', () => {
  it('resumes from the Postgres position after a stop, even under a fresh consumer group', async () => {
    const { schema, topic } = await setup();
    await produce(topic, 200);

    const batches: BatchCommitted[] = [];
    let enough!: () => void;
    const threeBatches = new Promise<void>((resolve) => (enough = resolve));
    const first = await startAppending(schema, topic, 'events', {
      partitionsConsumedConcurrently: 1,
      onBatch: (b) => {
        batches.push(b);
        if (batches.length === 3) enough();
      },
    });
    await threeBatches;
    await first.stop();
    const midway = await events(schema);
    expect(midway.rows).toBeGreaterThan(0);
    expect(midway.rows).toBeLessThan(200);
    expect(midway.distinct).toBe(midway.rows);

    // A new group has no Kafka offsets and would start at 0: only the stored position prevents a replay.
    let projectedBySecond = 0;
    const second = await startAppending(schema, topic, 'events', {
      onBatch: (b) => (projectedBySecond += b.projected),
    });
    await untilCaughtUp(schema, 'events', topic);
    await second.stop();

    expect(await events(schema)).toEqual({ rows: 200, distinct: 200 });
    expect(projectedBySecond).toBe(200 - midway.rows);
  });

  it('ignores Kafka group offsets: a group committed past the Postgres position still projects everything', async () => {
    const { schema, topic } = await setup();
    await produce(topic, 60);
    const groupId = `g-${random()}`;
    // The group's Kafka offsets say "all consumed"; Postgres has projected nothing.
    const end = await topicEnd(topic);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [...end].map(([partition, high]) => ({ partition, offset: high.toString() })),
    });
    const r = await start({ schema, topic, groupId, project: appendEvents(schema) });
    await waitFor('the projection to reach the topic end', () => caughtUp(schema, groupId, topic));
    await r.stop();
    expect(await events(schema)).toEqual({ rows: 60, distinct: 60 });
  });

  it('projects committed transactions only and stands at the topic end after an aborted one', async () => {
    const { schema, topic } = await setup(1);
    const producer = kafka.producer({
      transactionalId: `tx-${random()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const write = async (from: number, count: number, commit: boolean) => {
      const txn = await producer.transaction();
      const messages = Array.from({ length: count }, (_, i) => ({ value: `v${from + i}` }));
      await txn.send({ topic, messages });
      await (commit ? txn.commit() : txn.abort());
    };
    try {
      await write(0, 10, true);
      await write(10, 5, false);
      await write(15, 5, true);
      const r = await startAppending(schema, topic, 'p');
      await untilCaughtUp(schema, 'p', topic);
      // Then an aborted transaction ends the log: a fetch of records and a marker that eachBatch never sees.
      await write(20, 3, false);
      // Transaction markers are written after abort() returns: wait for the marker to land.
      await waitFor('the abort marker', async () => (await topicEnd(topic)).get(0) === 27n);
      await waitFor('the projection to pass the aborted transaction', () =>
        caughtUp(schema, 'p', topic),
      );
      await r.stop();
    } finally {
      await producer.disconnect();
    }
    const { rows } = await pool.query<{ value: string }>(
      `SELECT value FROM "${schema}".events ORDER BY "offset"`,
    );
    expect(rows.map((row) => row.value)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `v${i}`),
      ...Array.from({ length: 5 }, (_, i) => `v${15 + i}`),
    ]);
  });

  it('applies each record once when two instances both read every partition', async () => {
    const { schema, topic } = await setup();
    await produce(topic, 300, 3);
    // Different groups: both instances are assigned all partitions, like a zombie that missed a rebalance.
    const a = await startAppending(schema, topic, 'events');
    const b = await startAppending(schema, topic, 'events');
    await untilCaughtUp(schema, 'events', topic);
    await Promise.all([a.stop(), b.stop()]);
    expect(await events(schema)).toEqual({ rows: 300, distinct: 300 });
  });

  it('rolls back a batch whose projection fails, rows and position together, and redelivers it', async () => {
    const { schema, topic } = await setup(1);
    await produce(topic, 50, 50);
    const project = appendEvents(schema);
    let failures = 0;
    const groupId = `g-${random()}`;
    const r = await start({
      schema,
      topic,
      groupId,
      project: async (client, partition, messages) => {
        await project(client, partition, messages);
        // Fail after the rows were written: they must not survive.
        if (failures++ < 2) throw new Error('projection failed');
      },
    });
    // Positions are stored under the group id when no projection name is given.
    await waitFor('the projection to reach the topic end', () => caughtUp(schema, groupId, topic));
    await r.stop();
    expect(failures).toBeGreaterThan(2);
    expect(await events(schema)).toEqual({ rows: 50, distinct: 50 });
  });

  it('stops for good, writing nothing, once its schema is swapped out from under it', async () => {
    const { schema, topic } = await setup(1);
    await produce(topic, 20, 20);
    const crashes: Error[] = [];
    const groupId = `g-${random()}`;
    const r = await start({
      schema,
      topic,
      groupId,
      project: appendEvents(schema),
      onCrash: (e) => crashes.push(e),
    });
    await waitFor('the first records', () => caughtUp(schema, groupId, topic));
    // A rebuild's swap: the old schema is renamed away and a fresh one takes its name.
    const old = `${schema}_old`;
    schemas.push(old);
    await pool.query(`ALTER SCHEMA "${schema}" RENAME TO "${old}"`);
    await migrate(pool, schema, [
      {
        version: 1,
        name: 'events',
        sql: (s) => `CREATE TABLE ${s}.events (partition int, "offset" bigint, value text)`,
      },
    ]);
    await produce(topic, 10, 10);
    await waitFor('the projection to stop', async () => crashes.length > 0);
    await r.stop();
    expect((crashes[0] as StoreError).code).toBe('SCHEMA_REPLACED');
    expect(await events(schema)).toEqual({ rows: 0, distinct: 0 });
    expect(await events(old)).toEqual({ rows: 20, distinct: 20 });
  });

  it('replays from a rewound position: the table is a fold of the log from there', async () => {
    const { schema, topic } = await setup(1);
    await produce(topic, 20, 20);
    const r = await startAppending(schema, topic, 'p');
    await untilCaughtUp(schema, 'p', topic);
    await r.stop();
    await pool.query(
      `UPDATE "${schema}".projection_offsets SET next_offset = 15 WHERE projection = 'p'`,
    );
    const again = await startAppending(schema, topic, 'p');
    await untilCaughtUp(schema, 'p', topic);
    await again.stop();
    expect(await events(schema)).toEqual({ rows: 25, distinct: 20 });
  });
});
