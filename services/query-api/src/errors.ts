/** Codes of the API's one error body, `{ "error": { "code", "message" } }`. */
export type QueryApiErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_CURSOR'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'INTERNAL';

/** The HTTP status each code is answered with. */
export const STATUS_OF: Readonly<Record<QueryApiErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_CURSOR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INTERNAL: 500,
};

/** An error the API answers with its own code (auth failures, bad arguments to token functions). */
export class QueryApiError extends Error {
  constructor(
    readonly code: QueryApiErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'QueryApiError';
  }
}
