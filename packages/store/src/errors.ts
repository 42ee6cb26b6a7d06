import { LineageError } from '@lineage/protocol';

/**
 * Why a store operation failed. Tests assert these, never the message text.
 *
 * - `INVALID_IDENTIFIER`: a schema or table name does not match `^[a-z_][a-z0-9_]{0,40}$` (schemas
 *   also must not start with `pg_`, which Postgres reserves).
 * - `INVALID_MIGRATIONS`: the migration list is malformed (versions not positive, unique, ascending).
 * - `MIGRATIONS_DIVERGED`: the database holds a migration this code does not know, or under another
 *   name: it was migrated by newer or different code.
 * - `MIGRATION_FAILED`: a migration's SQL failed; it was rolled back, earlier ones stay applied.
 * - `SCHEMA_REPLACED`: the schema a running projection writes to was swapped out (a rebuild): the
 *   batch is rolled back and the projection stops for good; restart it to follow the new schema.
 */
export type StoreErrorCode =
  | 'INVALID_IDENTIFIER'
  | 'INVALID_MIGRATIONS'
  | 'MIGRATIONS_DIVERGED'
  | 'MIGRATION_FAILED'
  | 'SCHEMA_REPLACED';

/** Base error of `@lineage/store`. */
export class StoreError extends LineageError<StoreErrorCode> {}
