import type { Pool, PoolClient } from 'pg';
import { qualifiedName, quoteSchema } from './identifier.js';
import { withSchemaLock } from './lock.js';
import { inTransaction } from './transaction.js';

/**
 * Creates `<schema>.projection_offsets` if missing. Positions live in Postgres, in the same
 * transaction as the rows they produced; Kafka group offsets are never used.
 * @throws StoreError INVALID_IDENTIFIER.
 */
export async function ensureOffsetsTable(pool: Pool, schema: string): Promise<void> {
  const quoted = quoteSchema(schema);
  const table = qualifiedName(schema, 'projection_offsets');
  await withSchemaLock(pool, schema, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${table} (
         projection text NOT NULL,
         topic text NOT NULL,
         partition int NOT NULL,
         next_offset bigint NOT NULL CHECK (next_offset >= 0),
         PRIMARY KEY (projection, topic, partition)
       )`,
    );
  });
}

/**
 * The stored positions of a projection on a topic, by partition (partitions never projected are absent).
 * @throws StoreError INVALID_IDENTIFIER.
 */
export async function readOffsets(
  pool: Pool | PoolClient,
  schema: string,
  projection: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const { rows } = await pool.query<{ partition: number; next_offset: string }>(
    `SELECT partition, next_offset FROM ${qualifiedName(schema, 'projection_offsets')} WHERE projection = $1 AND topic = $2`,
    [projection, topic],
  );
  return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
}

/**
 * Inside an open transaction: locks the partition's position row (creating it at 0) and returns the
 * stored next offset. Holding the row lock until commit serializes every writer of this partition,
 * so two instances that both believe they own it cannot both apply the same records.
 */
export async function claimPosition(
  client: PoolClient,
  table: string,
  projection: string,
  topic: string,
  partition: number,
): Promise<bigint> {
  const { rows } = await client.query<{ next_offset: string }>(
    `INSERT INTO ${table} AS o (projection, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
     ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = o.next_offset
     RETURNING next_offset`,
    [projection, topic, partition],
  );
  return BigInt(rows[0]!.next_offset);
}

/** Inside the same transaction: moves the partition's position forward to `nextOffset`. */
export async function advancePosition(
  client: PoolClient,
  table: string,
  projection: string,
  topic: string,
  partition: number,
  nextOffset: bigint,
): Promise<void> {
  await client.query(
    `INSERT INTO ${table} AS o (projection, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
     ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = GREATEST(o.next_offset, EXCLUDED.next_offset)`,
    [projection, topic, partition, nextOffset.toString()],
  );
}

/** The stored next offset of one partition, 0 when never projected. */
export async function loadPosition(
  pool: Pool,
  table: string,
  projection: string,
  topic: string,
  partition: number,
): Promise<bigint> {
  const { rows } = await pool.query<{ next_offset: string }>(
    `SELECT next_offset FROM ${table} WHERE projection = $1 AND topic = $2 AND partition = $3`,
    [projection, topic, partition],
  );
  return rows[0] === undefined ? 0n : BigInt(rows[0].next_offset);
}

/**
 * Moves a partition's position past offsets `first..last` that hold no records to project (only
 * transaction markers or aborted records), but only if the stored position lies inside that range:
 * then nothing between it and `last` can be lost. Returns the new position, or undefined when unchanged.
 */
export async function passFiltered(
  pool: Pool,
  table: string,
  projection: string,
  topic: string,
  partition: number,
  first: bigint,
  last: bigint,
): Promise<bigint | undefined> {
  return inTransaction(pool, async (client) => {
    const stored = await claimPosition(client, table, projection, topic, partition);
    const moved = stored >= first && stored <= last;
    if (moved) await advancePosition(client, table, projection, topic, partition, last + 1n);
    return moved ? last + 1n : undefined;
  });
}
