import { LineageError } from '@lineage/protocol';

/**
 * Why the projector refused a request. Tests assert these, never the message text.
 *
 * - `INVALID_ARGUMENT`: an argument is out of range (e.g. `maxDepth`) or a command-line flag is malformed.
 */
export type ProjectorErrorCode = 'INVALID_ARGUMENT';

/** Base error of `@lineage/projector`. */
export class ProjectorError extends LineageError<ProjectorErrorCode> {}
