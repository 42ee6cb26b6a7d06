export { MIGRATION, PROJECTION_MIGRATIONS } from './migrations.js';
export { TABLES } from './tables.js';
export type { TableName } from './tables.js';
export type { ApiTokenRow, CheckpointRow, EdgeRow, ExecutionRow, PolicyRow } from './rows.js';
export { QUERYABLE_VERSION, requireVersion, SERVING_VERSION } from './version.js';
export { ProjectionError } from './errors.js';
export type { ProjectionErrorCode } from './errors.js';
