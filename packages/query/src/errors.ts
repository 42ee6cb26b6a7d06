import { LineageError } from '@lineage/protocol';

/**
 * Why a query was refused. Tests assert these, never the message text.
 *
 * - `NOT_FOUND`: the execution (or its decision, for a bundle) is not in the projection.
 * - `INVALID_ARGUMENT`: an id, digest, key id, depth, limit or policy reference is malformed or out of range.
 * - `INVALID_CURSOR`: a page cursor is not one this package issued for this kind of query.
 * - `RESPONSE_TOO_LARGE`: the answer would exceed a stated cap and cannot be paged (an evidence
 *   bundle of more than `MAX_BUNDLE_ATTESTATIONS` attestations); the HTTP API answers 422.
 */
export type QueryErrorCode =
  'NOT_FOUND' | 'INVALID_ARGUMENT' | 'INVALID_CURSOR' | 'RESPONSE_TOO_LARGE';

/** Base error of `@lineage/query`. */
export class QueryError extends LineageError<QueryErrorCode> {}
