import type { Pool } from 'pg';
import { schemaVersion } from '@lineage/store';
import { ProjectionError } from './errors.js';
import { MIGRATION } from './migrations.js';

/**
 * The version a schema must be migrated to for the lineage queries: they read the override and
 * authority columns, `policies`, and `checkpoints` with `merkle_hashes` (inclusion proofs in bundles).
 */
export const QUERYABLE_VERSION = MIGRATION.MERKLE_HASHES;

/**
 * The version the query API serves from: the queries, peppered, expiring `api_tokens` (6), and the
 * index its tlog-tiles entry bundles read `executions` by (9).
 */
export const SERVING_VERSION = MIGRATION.LOG_POSITIONS;

/**
 * Checks that `schema` is migrated to `minimum` or later.
 * @throws ProjectionError SCHEMA_BEHIND when it is not (or holds no projection); StoreError
 *   INVALID_IDENTIFIER for a bad schema name.
 */
export async function requireVersion(pool: Pool, schema: string, minimum: number): Promise<void> {
  const version = await schemaVersion(pool, schema);
  if (version < minimum)
    throw new ProjectionError(
      'SCHEMA_BEHIND',
      `schema ${schema} is at projection version ${version}; ${minimum} or later is needed`,
    );
}
