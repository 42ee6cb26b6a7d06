export { createPool } from './pool.js';
export type { SessionLimits } from './pool.js';
export { isIdentifier, quoteIdentifier, quoteSchema, qualifiedName } from './identifier.js';
export { migrate, schemaVersion } from './migrate.js';
export type { Migration, MigrationResult } from './migrate.js';
export { ensureOffsetsTable, readOffsets } from './offsets.js';
export { runProjection } from './projection.js';
export { inTransaction } from './transaction.js';
export { prepared } from './prepared.js';
export type {
  BatchCommitted,
  Project,
  RunProjectionOptions,
  RunningProjection,
} from './projection.js';
export { StoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
