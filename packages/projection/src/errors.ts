import { LineageError } from '@lineage/protocol';

/**
 * Why a projection schema cannot be used. Tests assert these, never the message text.
 *
 * - `SCHEMA_BEHIND`: the schema is not migrated (far enough) for what the caller reads from it.
 */
export type ProjectionErrorCode = 'SCHEMA_BEHIND';

/** Base error of `@lineage/projection`. */
export class ProjectionError extends LineageError<ProjectionErrorCode> {}
