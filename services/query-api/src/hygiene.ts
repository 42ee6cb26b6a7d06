import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { QueryError } from '@lineage/query';
import { QueryApiError, STATUS_OF } from './errors.js';
import type { QueryApiErrorCode } from './errors.js';

const QUERY_CODES = new Set<string>([
  'NOT_FOUND',
  'INVALID_ARGUMENT',
  'INVALID_CURSOR',
  'RESPONSE_TOO_LARGE',
]);
// Postgres answers that mean "busy or going away, try again": statement or lock timeout, too many
// connections, administrator shutdown, cannot connect now.
const PG_UNAVAILABLE = new Set(['57014', '55P03', '53300', '57P01', '57P02', '57P03']);
// pg's own words when no pooled connection frees up in `connectionTimeoutMillis`.
const POOL_TIMEOUT =
  /timeout exceeded when trying to connect|Connection terminated due to connection timeout/;
const NET_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

// Framework refusals get a fixed message: fastify's own messages may quote the request (the URL).
const BY_STATUS: Readonly<Record<number, [QueryApiErrorCode, string]>> = {
  404: ['NOT_FOUND', 'no such route'],
  405: ['METHOD_NOT_ALLOWED', 'method not allowed'],
  408: ['REQUEST_TIMEOUT', 'the request did not arrive in time'],
  413: ['PAYLOAD_TOO_LARGE', 'request body too large'],
  414: ['HEADERS_TOO_LARGE', 'request line too long'],
  415: ['PAYLOAD_TOO_LARGE', 'request bodies are not accepted'],
  429: ['RATE_LIMITED', 'too many requests'],
  431: ['HEADERS_TOO_LARGE', 'request headers too large'],
  503: ['UNAVAILABLE', 'temporarily unavailable'],
};

/** What a request failed with, as the one error body. */
export interface Failure {
  code: QueryApiErrorCode;
  message: string;
}

/** Sends the one error body; 429 and 503 carry `Retry-After` (seconds). */
export function fail(
  reply: FastifyReply,
  code: QueryApiErrorCode,
  message: string,
  retryAfterSeconds = 1,
): FastifyReply {
  if ((code === 'RATE_LIMITED' || code === 'UNAVAILABLE') && !reply.hasHeader('retry-after'))
    void reply.header('retry-after', String(retryAfterSeconds));
  return reply
    .code(STATUS_OF[code])
    .type('application/json; charset=utf-8')
    .send({ error: { code, message } });
}

/**
 * Maps any thrown value to a code and a message safe to show: no stack, no internals for 500s, no
 * request input for framework errors. `withCursor`: the request carried a cursor, so a value
 * Postgres refuses (a date like 2026-02-30 that `Date.parse` accepts) is INVALID_CURSOR.
 */
export function classify(error: unknown, withCursor = false): Failure {
  // An INTERNAL QueryApiError (a response off its schema) is logged, not shown.
  if (error instanceof QueryApiError)
    return {
      code: error.code,
      message: error.code === 'INTERNAL' ? 'internal error' : error.message,
    };
  if (error instanceof QueryError && QUERY_CODES.has(error.code))
    return { code: error.code as QueryApiErrorCode, message: error.message };
  const e = error as Partial<FastifyError> & { code?: unknown; message?: unknown };
  if (e.validation !== undefined) {
    // fastify's schema validation: a bad cursor gets its own code.
    const onCursor = e.validation.some((v) => v.instancePath === '/cursor');
    return {
      code:
        e.validationContext === 'querystring' && onCursor ? 'INVALID_CURSOR' : 'INVALID_ARGUMENT',
      message: e.message ?? 'invalid request',
    };
  }
  return classifyStorage(e) ?? classifyStatus(e, withCursor);
}

/** Postgres and pool failures: busy → UNAVAILABLE (503); a data exception → a bad argument. */
function classifyStorage(e: { code?: unknown; message?: unknown }): Failure | undefined {
  const code = typeof e.code === 'string' ? e.code : '';
  if (PG_UNAVAILABLE.has(code) || NET_UNAVAILABLE.has(code))
    return { code: 'UNAVAILABLE', message: 'the database is busy; retry later' };
  if (typeof e.message === 'string' && POOL_TIMEOUT.test(e.message))
    return { code: 'UNAVAILABLE', message: 'no database connection free; retry later' };
  return undefined;
}

/** Errors carrying an HTTP status (fastify's own), and Postgres data exceptions (class 22). */
function classifyStatus(
  e: Partial<FastifyError> & { code?: unknown },
  withCursor: boolean,
): Failure {
  if (typeof e.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code))
    return withCursor
      ? { code: 'INVALID_CURSOR', message: 'cursor holds a value the store refuses' }
      : { code: 'INVALID_ARGUMENT', message: 'argument holds a value the store refuses' };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  const known = BY_STATUS[status];
  if (known !== undefined) return { code: known[0], message: known[1] };
  if (status >= 400 && status < 500) return { code: 'INVALID_ARGUMENT', message: 'bad request' };
  return { code: 'INTERNAL', message: 'internal error' };
}

/**
 * Answers what Node's HTTP parser refuses before fastify sees a request (bad method or framing,
 * headers too large, request timeout) with the one error body, then closes the socket.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return void socket.destroy();
  const [status, code, message]: [number, QueryApiErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'request headers too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time']
        : [400, 'INVALID_ARGUMENT', 'malformed request'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

const OTHER_METHODS = ['DELETE', 'PATCH', 'POST', 'PUT'] as const;

/** Answers 405 with `Allow: GET, HEAD` for every other method on each of `paths`. */
export function methodNotAllowed(
  app: FastifyInstance,
  paths: readonly string[],
  options = { withOptions: true },
): void {
  const methods = options.withOptions ? [...OTHER_METHODS, 'OPTIONS' as const] : [...OTHER_METHODS];
  for (const url of paths)
    app.route({
      method: methods,
      url,
      schema: { hide: true },
      handler: (_request, reply) =>
        fail(reply.header('allow', 'GET, HEAD'), 'METHOD_NOT_ALLOWED', 'method not allowed'),
    });
}

/**
 * Request bodies are never parsed: the API is GET-only. A body is read up to the limit and dropped,
 * so an unknown route cannot be made to parse JSON; past the limit fastify answers 413.
 */
export function ignoreBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) =>
    done(null, undefined),
  );
}

// A decimal integer as people write it: no hex, exponent, sign '+', blanks or Infinity.
const DECIMAL = /^-?(0|[1-9][0-9]{0,15})$/;

/**
 * A preValidation hook refusing query parameters that the schema types as integers but that are
 * not plain decimals (`0x10`, `1e3`, `Infinity` coerce to numbers in ajv): 400 INVALID_ARGUMENT.
 */
export function strictIntegers(querystring: TSchema | undefined) {
  const props = (querystring as { properties?: Record<string, { type?: unknown }> } | undefined)
    ?.properties;
  const names = Object.entries(props ?? {})
    .filter(([, s]) => s.type === 'integer')
    .map(([name]) => name);
  return async (request: FastifyRequest): Promise<void> => {
    const query = request.query as Record<string, unknown>;
    for (const name of names) {
      const value = query[name];
      if (value !== undefined && (typeof value !== 'string' || !DECIMAL.test(value)))
        throw new QueryApiError('INVALID_ARGUMENT', `${name} must be a decimal integer`);
    }
  };
}
