import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { inTransaction, qualifiedName, quoteSchema } from '@lineage/store';

/** Row count and content digest of one projection table. */
export interface TableChecksum {
  rows: number;
  /** Hex SHA-256 over the per-row digests in primary-key order (see {@link projectionChecksum}). */
  sha256: string;
}

/** One stored position of `projection_offsets`; reported beside the content, never part of it. */
export interface StoredOffset {
  projection: string;
  topic: string;
  partition: number;
  /** 64-bit: a decimal string. */
  nextOffset: string;
}

/** What {@link projectionChecksum} returns. */
export interface ProjectionChecksum {
  executions: TableChecksum;
  lineage_edges: TableChecksum;
  policies: TableChecksum;
  checkpoints: TableChecksum;
  merkle_hashes: TableChecksum;
  /** Hex SHA-256 over every table's count and digest: equal iff all tables are. */
  combined: string;
  /** Stored positions, sorted; not part of `combined` (a rebuild may stop at another offset). */
  offsets: StoredOffset[];
}

// The projection tables and their primary keys, in the order they enter `combined`.
const TABLES = [
  { table: 'executions', key: ['attestation_digest COLLATE "C"'] },
  { table: 'lineage_edges', key: ['child_id COLLATE "C"', 'parent_id COLLATE "C"'] },
  { table: 'policies', key: ['hash COLLATE "C"'] },
  { table: 'checkpoints', key: ['partition', '"offset"'] },
  { table: 'merkle_hashes', key: ['partition', 'level', 'index'] },
] as const;

/**
 * A content checksum of a projector schema's tables (`executions`, `lineage_edges`, `policies`, `checkpoints`, `merkle_hashes`): every column of
 * every row, `partition` and `offset` included (they are facts of the topic). Each row is rendered as
 * `to_jsonb(row)::text` (jsonb orders keys itself; timestamps rendered in UTC), hashed with SHA-256,
 * and the row digests are hashed again in primary-key order (text keys `COLLATE "C"`), all in Postgres, in one
 * read-only repeatable-read snapshot. So the result depends only on the rows, not on insertion order,
 * physical layout, session time zone or locale. `projection_offsets` and `schema_migrations` are
 * left out of the content; positions are reported separately in `offsets`.
 *
 * Limit: the row digests of a table are aggregated as one bytea value (32 bytes a row), so a table
 * up to about 30 million rows.
 * @throws StoreError INVALID_IDENTIFIER; pg errors (e.g. 42P01 when the schema has no projection).
 */
export async function projectionChecksum(pool: Pool, schema: string): Promise<ProjectionChecksum> {
  quoteSchema(schema);
  const read = async (client: PoolClient) => {
    // Text renderings of timestamptz depend on these session settings: pin them.
    await client.query(`SET LOCAL TimeZone = 'UTC'`);
    await client.query(`SET LOCAL DateStyle = 'ISO, YMD'`);
    await client.query(`SET LOCAL IntervalStyle = 'postgres'`);
    const tables: TableChecksum[] = [];
    for (const { table, key } of TABLES) {
      const order = key.map((k) => `r.${k}`).join(', ');
      const { rows } = await client.query<{ rows: string; sha256: string }>(
        `SELECT count(*)::text AS rows,
                encode(sha256(coalesce(string_agg(sha256(convert_to(to_jsonb(r)::text, 'UTF8')), ''::bytea ORDER BY ${order}), ''::bytea)), 'hex') AS sha256
           FROM ${qualifiedName(schema, table)} AS r`,
      );
      tables.push({ rows: Number(rows[0]!.rows), sha256: rows[0]!.sha256 });
    }
    return { tables, offsets: await readStoredOffsets(client, schema) };
  };
  const { tables, offsets } = await inTransaction(
    pool,
    read,
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
  const [executions, edges, policies, checkpoints, merkle] = tables as [
    TableChecksum,
    TableChecksum,
    TableChecksum,
    TableChecksum,
    TableChecksum,
  ];
  const combined = createHash('sha256')
    .update(
      TABLES.map(({ table }, i) => `${table} ${tables[i]!.rows} ${tables[i]!.sha256}\n`).join(''),
    )
    .digest('hex');
  return {
    ...{ executions, lineage_edges: edges, policies, checkpoints, merkle_hashes: merkle },
    ...{ combined, offsets },
  };
}

async function readStoredOffsets(client: PoolClient, schema: string): Promise<StoredOffset[]> {
  const exists = await client.query<{ found: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS found`,
    [qualifiedName(schema, 'projection_offsets')],
  );
  if (exists.rows[0]?.found !== true) return [];
  const { rows } = await client.query<{
    projection: string;
    topic: string;
    partition: number;
    next_offset: string;
  }>(
    `SELECT projection, topic, partition, next_offset::text AS next_offset
       FROM ${qualifiedName(schema, 'projection_offsets')}
      ORDER BY projection COLLATE "C", topic COLLATE "C", partition`,
  );
  return rows.map((r) => ({
    projection: r.projection,
    topic: r.topic,
    partition: r.partition,
    nextOffset: r.next_offset,
  }));
}
