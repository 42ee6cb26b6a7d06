import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import type { Pool } from 'pg';
import { Health, ROUTES } from '@lineage/contract';
import type { OperationId, RouteContract } from '@lineage/contract';
import { openQueries, QueryError } from '@lineage/query';
import type { BundleSources, LineageQueries } from '@lineage/query';
import { QueryApiError, STATUS_OF } from './errors.js';
import type { QueryApiErrorCode } from './errors.js';
import { errorResponses, OPENAPI, routeSchema } from './openapi.js';
import { validatingSerializer } from './response.js';
import { HANDLERS } from './routes.js';
import type { Handler } from './routes.js';
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

const QUERY_CODES = new Set<string>([
  'NOT_FOUND',
  'INVALID_ARGUMENT',
  'INVALID_CURSOR',
  'RESPONSE_TOO_LARGE',
]);
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
  // An INTERNAL QueryApiError (a response off its schema) is logged, not shown.
  if (error instanceof QueryApiError)
    return {
      code: error.code,
      message: error.code === 'INTERNAL' ? 'internal error' : error.message,
    };
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
 * `/openapi.json` and `/healthz` open. Requests and responses are validated against the schemas of
 * `@lineage/contract`, and the OpenAPI 3.1 document is generated from them. `ready()`/`listen()`
 * migrates the projection schema (which holds `api_tokens`) if it is behind.
 * @throws StoreError INVALID_IDENTIFIER (on ready) for a bad schema name.
 */
export function createQueryApi(options: QueryApiOptions): FastifyInstance {
  const { pool, schema } = options;
  const app = createFastify(options);
  // Tokens live in the projection schema: bring it up to the migrations that create them.
  app.addHook('onReady', async () => {
    await ensureTokensTable(pool, schema);
  });
  // Every error, thrown or raised by validation, answers with the one error body.
  app.setErrorHandler((error, request, reply) => {
    const { code, message } = classify(error);
    if (code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    return fail(reply, code, message);
  });
  app.setNotFoundHandler((_request, reply) => fail(reply, 'NOT_FOUND', 'no such route'));
  // The OpenAPI document collects the routes registered after it.
  void app.register(swagger, OPENAPI);
  void app.register(async (scope) => {
    openRoutes(scope, pool);
    lineageRoutes(scope, options);
  });
  return app;
}

/** fastify with our request validation (ajv, coercing query strings) and response validation. */
function createFastify(options: QueryApiOptions): FastifyInstance {
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
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setSerializerCompiler(validatingSerializer());
  return app as unknown as FastifyInstance;
}

/** `/openapi.json` (generated by `@fastify/swagger`) and `/healthz`, without a token. */
function openRoutes(app: FastifyInstance, pool: Pool): void {
  let document: unknown;
  app.get(
    '/openapi.json',
    { schema: { operationId: 'openapi', summary: 'This document (OpenAPI 3.1)', security: [] } },
    async () => (document ??= app.swagger()),
  );
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'health',
        summary: 'Liveness: the process answers and Postgres is reachable',
        security: [],
        response: { 200: Health, 500: errorResponses('none')[500]! },
      },
    },
    async () => {
      await pool.query('SELECT 1');
      return { status: 'ok' as const };
    },
  );
}

/** Every route of `ROUTES` (`@lineage/contract`), behind its scope, answered by its handler. */
function lineageRoutes(app: FastifyInstance, options: QueryApiOptions): void {
  const { pool, schema, bundleSources } = options;
  const queries = options.queries ?? openQueries(pool, schema);
  const authorize = authorizer(pool, schema);
  for (const id of Object.keys(ROUTES) as OperationId[]) {
    const route: RouteContract = ROUTES[id];
    const handle = HANDLERS[id] as Handler<OperationId>;
    app.get(
      route.path,
      { onRequest: authorize(route.scope), schema: routeSchema(id, route) },
      async (request, reply) => {
        const body = await handle({
          queries,
          params: request.params as never,
          query: request.query as never,
          sources: bundleSources,
        });
        if (route.mediaType !== undefined) void reply.type(route.mediaType);
        return body;
      },
    );
  }
}

/** Authenticates the bearer token (by hash) and checks it carries `scope`. */
function authorizer(pool: Pool, schema: string) {
  return (scope: Scope) => async (request: FastifyRequest, reply: FastifyReply) => {
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
}
