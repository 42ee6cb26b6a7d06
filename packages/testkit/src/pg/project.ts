// Projecting fixture records into a fresh Postgres schema through a projection's own write path.
import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { Pool } from 'pg';
import { inTransaction, migrate } from '@lineage/store';
import type { Migration, Project } from '@lineage/store';

/** A record as a projection reads it: its key and Avro value. */
export interface FixtureMessage {
  key: string;
  value: Buffer;
}

/** A projection under test: its migrations and its write path for a schema. */
export interface ProjectionUnderTest {
  migrations: readonly Migration[];
  project: (schema: string) => Project;
}

/** A unique schema name for one test. */
export function freshSchemaName(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A fresh schema migrated with `migrations`; returns its name. */
export async function freshSchema(pool: Pool, migrations: readonly Migration[]): Promise<string> {
  const schema = freshSchemaName();
  await migrate(pool, schema, migrations);
  return schema;
}

/** Kafka messages at offsets `from`, `from + 1`, … of one partition. */
export function messagesOf(records: readonly FixtureMessage[], from = 0): KafkaMessage[] {
  return records.map((r, i) => ({
    key: Buffer.from(r.key),
    value: r.value,
    offset: String(from + i),
    timestamp: '0',
    attributes: 0,
    headers: {},
  }));
}

/** The execution-keyed messages of ledger records. */
export function ledgerMessages(
  records: readonly { executionId: string; value: Buffer }[],
): FixtureMessage[] {
  return records.map((r) => ({ key: r.executionId, value: r.value }));
}

/** One topic's records and the write path that projects them. */
export interface TopicFixture {
  project: (schema: string) => Project;
  records: readonly FixtureMessage[];
}

/**
 * A fresh schema migrated with `migrations` and holding each topic's records, written by its own
 * write path as partition 0, offsets 0, 1, 2, … in one transaction. Returns the schema name.
 */
export async function projectedSchema(
  pool: Pool,
  migrations: readonly Migration[],
  topics: readonly TopicFixture[],
): Promise<string> {
  const schema = await freshSchema(pool, migrations);
  await inTransaction(pool, async (client) => {
    for (const topic of topics) await topic.project(schema)(client, 0, messagesOf(topic.records));
  });
  return schema;
}
