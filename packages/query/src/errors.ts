import { LineageError } from '@lineage/protocol';

/**
 * Why a query was refused. Tests assert these, never the message text.
 *
 * - `NOT_FOUND`: the execution (or its decision, for a bundle) is not in the projection.
 * - `INVALID_ARGUMENT`: an id, digest, key id, depth, limit or policy reference is malformed or out of range.
 * - `INVALID_CURSOR`: a page cursor is not one this package issued for this kind of query.
 */
export type QueryErrorCode = 'NOT_FOUND' | 'INVALID_ARGUMENT' | 'INVALID_CURSOR';

/** Base error of `@lineage/query`. */
export class QueryError extends LineageError<QueryErrorCode> {}
