import type { Pool } from 'pg';
import { TABLES } from '@lineage/projection';
import { isIdentifier, qualifiedName, quoteIdentifier, quoteSchema } from '@lineage/store';
import { QueryApiError } from './errors.js';

/**
 * The SQL that makes `role` the API's read-only login over `schema`: it may read the projection
 * tables and the migration versions, read `api_tokens`, and write nothing but `last_used_at` of a
 * token (a column grant: narrower than a SECURITY DEFINER function, and owned by no one). The role
 * is created (LOGIN, no password: set one with `ALTER ROLE ... PASSWORD`) when it does not exist.
 * @throws QueryApiError INVALID_ARGUMENT for a role or schema that is not a plain identifier.
 */
export function readerGrants(schema: string, role: string): string[] {
  if (!isIdentifier(role) || !isIdentifier(schema))
    throw new QueryApiError(
      'INVALID_ARGUMENT',
      'role and schema must match ^[a-z_][a-z0-9_]{0,40}$',
    );
  const r = quoteIdentifier(role);
  const readable = [
    TABLES.executions,
    TABLES.lineageEdges,
    TABLES.policies,
    TABLES.checkpoints,
    TABLES.merkleHashes,
    TABLES.apiTokens,
    'schema_migrations',
  ].map((t) => qualifiedName(schema, t));
  return [
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${r} LOGIN; END IF; END $$`,
    `GRANT USAGE ON SCHEMA ${quoteSchema(schema)} TO ${r}`,
    `GRANT SELECT ON ${readable.join(', ')} TO ${r}`,
    `GRANT UPDATE (last_used_at) ON ${qualifiedName(schema, TABLES.apiTokens)} TO ${r}`,
  ];
}

/** Runs {@link readerGrants} in one transaction. @throws QueryApiError INVALID_ARGUMENT. */
export async function grantReader(pool: Pool, schema: string, role: string): Promise<void> {
  const statements = readerGrants(schema, role);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const sql of statements) await client.query(sql);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
