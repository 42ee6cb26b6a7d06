import type { Pool, PoolClient } from 'pg';
import { StoreError } from './errors.js';
import { qualifiedName, quoteSchema } from './identifier.js';
import { withSchemaLock } from './lock.js';

/** One step of a schema's history. Applied once, in version order, in its own transaction. */
export interface Migration {
  /** Positive integer; versions ascend through the list. Never renumber an applied migration. */
  version: number;
  /** Short description, recorded with the version. */
  name: string;
  /**
   * The SQL to run, given the schema as a validated, double-quoted identifier (`"lineage"`): write
   * every table as `${schema}.table`. May hold several statements.
   */
  sql(schema: string): string;
}

/** What {@link migrate} did. */
export interface MigrationResult {
  /** Versions applied by this call, in order. */
  applied: number[];
  /** The schema's version afterwards (0 when no migration exists). */
  version: number;
}

/**
 * Brings `schema` up to the last of `migrations`: creates the schema and its
 * `schema_migrations(version, name, applied_at)` table if needed, then applies each missing migration
 * in its own transaction, recording it in the same transaction. Concurrent callers on the same schema
 * serialize on an advisory lock, so each migration runs exactly once.
 * @throws StoreError INVALID_IDENTIFIER, INVALID_MIGRATIONS, MIGRATIONS_DIVERGED, MIGRATION_FAILED.
 */
export async function migrate(
  pool: Pool,
  schema: string,
  migrations: readonly Migration[],
): Promise<MigrationResult> {
  const quoted = quoteSchema(schema);
  const table = qualifiedName(schema, 'schema_migrations');
  checkMigrations(migrations);
  return withSchemaLock(pool, schema, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${table} (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const known = new Map(migrations.map((m) => [m.version, m.name]));
    const { rows } = await client.query<{ version: number; name: string }>(
      `SELECT version, name FROM ${table} ORDER BY version`,
    );
    const done = new Set<number>();
    for (const row of rows) {
      // Every recorded migration must be one of ours, under the same name.
      if (known.get(row.version) !== row.name) {
        throw new StoreError(
          'MIGRATIONS_DIVERGED',
          `${schema} has migration ${row.version} (${row.name}) that this code ${known.has(row.version) ? `names ${known.get(row.version)}` : 'does not know'}`,
        );
      }
      done.add(row.version);
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await applyOne(client, quoted, table, schema, migration);
      applied.push(migration.version);
    }
    return { applied, version: migrations.at(-1)?.version ?? 0 };
  });
}

async function applyOne(
  client: PoolClient,
  quoted: string,
  table: string,
  schema: string,
  migration: Migration,
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(migration.sql(quoted));
    await client.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [
      migration.version,
      migration.name,
    ]);
    await client.query('COMMIT');
  } catch (cause) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new StoreError(
      'MIGRATION_FAILED',
      `migration ${migration.version} (${migration.name}) of ${schema} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

function checkMigrations(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isSafeInteger(m.version) || m.version <= previous || m.version > 2_147_483_647) {
      throw new StoreError(
        'INVALID_MIGRATIONS',
        `migration versions must be positive and ascending; got ${m.version} after ${previous}`,
      );
    }
    if (typeof m.name !== 'string' || m.name === '')
      throw new StoreError('INVALID_MIGRATIONS', `migration ${m.version} has no name`);
    previous = m.version;
  }
}

/**
 * The highest migration version recorded in `schema`; 0 when the schema or its migrations table does
 * not exist (nothing was ever migrated there).
 * @throws StoreError INVALID_IDENTIFIER for a bad schema name.
 */
export async function schemaVersion(db: Pick<Pool, 'query'>, schema: string): Promise<number> {
  const table = qualifiedName(schema, 'schema_migrations');
  const { rows } = await db.query<{ known: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS known',
    [table],
  );
  if (rows[0]?.known !== true) return 0;
  const versions = await db.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${table}`,
  );
  return versions.rows[0]?.version ?? 0;
}
