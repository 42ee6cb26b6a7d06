import Fastify from 'fastify';
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import type { Pool } from 'pg';
import { openQueries, QueryError } from '@lineage/query';
import type { BundleSources, LineageQueries } from '@lineage/query';
import { QueryApiError, STATUS_OF } from './errors.js';
import type { QueryApiErrorCode } from './errors.js';
import { openApiDocument } from './openapi.js';
import type { QueryArgs } from './routes.js';
import { ROUTES } from './routes.js';
import { ensureTokensTable, lookupToken } from './tokens.js';
import type { Scope, TokenInfo } from './tokens.js';

/** What {@link createQueryApi} needs. */
export interface QueryApiOptions {
  pool: Pool;
  /** The projector's schema, which also holds `api_tokens`. */
  schema: string;
  /** The query implementation; `openQueries(pool, schema)` by default. */
  queries?: LineageQueries;
  /**
   * Keys, fallback policy documents and signed release manifests bundles embed; called per bundle
   * request. Policy documents come first from the projected policies topic.
   */
  bundleSources: () => BundleSources;
  /** A pino-compatible logger; silent when omitted. */
  log?: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyRequest {
    token?: TokenInfo;
  }
}

const QUERY_CODES = new Set<string>(['NOT_FOUND', 'INVALID_ARGUMENT', 'INVALID_CURSOR']);
// `Bearer` and a 43-character base64url token; anything else is not a token of ours.
const BEARER = /^Bearer ([A-Za-z0-9_-]{43})$/;

/** Sends the one error body. */
function fail(reply: FastifyReply, code: QueryApiErrorCode, message: string): FastifyReply {
  return reply
    .code(STATUS_OF[code])
    .type('application/json; charset=utf-8')
    .send({ error: { code, message } });
}

/** Maps any thrown value to a code and a message safe to show (no stack, no internals for 500s). */
function classify(error: unknown): { code: QueryApiErrorCode; message: string } {
  if (error instanceof QueryApiError) return { code: error.code, message: error.message };
  if (error instanceof QueryError && QUERY_CODES.has(error.code))
    return { code: error.code as QueryApiErrorCode, message: error.message };
  const e = error as Partial<FastifyError>;
  if (e.validation !== undefined) {
    // fastify's schema validation: a bad cursor gets its own code.
    const onCursor = e.validation.some((v) => v.instancePath === '/cursor');
    return {
      code:
        e.validationContext === 'querystring' && onCursor ? 'INVALID_CURSOR' : 'INVALID_ARGUMENT',
      message: e.message ?? 'invalid request',
    };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 404) return { code: 'NOT_FOUND', message: 'not found' };
  if (status >= 400 && status < 500)
    return { code: 'INVALID_ARGUMENT', message: e.message ?? 'bad request' };
  return { code: 'INTERNAL', message: 'internal error' };
}

/**
 * The query API as a fastify instance (not listening yet): `/v1` lineage routes behind bearer tokens,
 * `/openapi.json` and `/healthz` open. `ready()`/`listen()` creates `<schema>.api_tokens` if missing.
 * @throws StoreError INVALID_IDENTIFIER (on ready) for a bad schema name.
 */
export function createQueryApi(options: QueryApiOptions): FastifyInstance {
  const { pool, schema, bundleSources } = options;
  const queries = options.queries ?? openQueries(pool, schema);
  const app = Fastify({
    ...(options.log !== undefined ? { loggerInstance: options.log } : { logger: false }),
    // Long hostile ids must reach the schema check (400), not fall out of the router (404).
    routerOptions: { maxParamLength: 2048 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    // Malformed URLs and other errors fastify raises before routing get the same body.
    frameworkErrors: (error, _request, reply) => {
      const { code, message } = classify(error);
      // Not echoing the URL back: it is whatever the client sent.
      void fail(reply, code, error.code === 'FST_ERR_BAD_URL' ? 'malformed URL' : message);
    },
  }) as unknown as FastifyInstance;

  app.addHook('onReady', async () => {
    await ensureTokensTable(pool, schema);
  });

  app.setErrorHandler((error, request, reply) => {
    const { code, message } = classify(error);
    if (code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    return fail(reply, code, message);
  });
  app.setNotFoundHandler((_request, reply) => fail(reply, 'NOT_FOUND', 'no such route'));

  const document = openApiDocument();
  app.get('/openapi.json', async () => document);
  app.get('/healthz', async () => {
    await pool.query('SELECT 1');
    return { status: 'ok' };
  });

  /** Authenticates the bearer token (by hash) and checks it carries `scope`. */
  const authorize = (scope: Scope) => async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    const token = match?.[1] !== undefined ? await lookupToken(pool, schema, match[1]) : undefined;
    if (token === undefined)
      return fail(reply, 'UNAUTHENTICATED', 'a valid bearer token is required');
    if (!token.scopes.includes(scope))
      return fail(reply, 'FORBIDDEN', `this token lacks the ${scope} scope`);
    request.token = token;
    return undefined;
  };

  for (const route of ROUTES) {
    app.get(
      route.path,
      {
        onRequest: authorize(route.scope),
        schema: {
          params: {
            type: 'object',
            properties: route.params,
            required: Object.keys(route.params),
            additionalProperties: false,
          },
          querystring: { type: 'object', properties: route.query, additionalProperties: false },
        },
      },
      async (request, reply) => {
        const result = await route.handle(
          queries,
          request.params as Record<string, string>,
          request.query as QueryArgs,
          bundleSources,
        );
        if (route.mediaType === undefined) return result;
        return reply.type(route.mediaType).send(JSON.stringify(result));
      },
    );
  }
  return app;
}
