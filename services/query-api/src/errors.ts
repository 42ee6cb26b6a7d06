import type { ApiErrorCode } from '@lineage/contract';
import { LineageError } from '@lineage/protocol';

/** Codes of the API's one error body, `{ "error": { "code", "message" } }` (declared in `@lineage/contract`). */
export type QueryApiErrorCode = ApiErrorCode;

/** The HTTP status each code is answered with. */
export const STATUS_OF: Readonly<Record<QueryApiErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_CURSOR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RESPONSE_TOO_LARGE: 422,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

/**
 * An error the API answers with its own code (auth failures, bad arguments to token functions, a
 * response that does not match its schema: INTERNAL, whose message is logged, never sent).
 */
export class QueryApiError extends LineageError<QueryApiErrorCode> {}
