import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { pino } from 'pino';
import { Health, ROUTES } from '@lineage/contract';
import type { OperationId, RouteContract } from '@lineage/contract';
import { requireVersion, SERVING_VERSION } from '@lineage/projection';
import { openQueries } from '@lineage/query';
import type { BundleSources, LineageQueries } from '@lineage/query';
import { accessTrail } from './access.js';
import { consoleRoutes } from './console.js';
import { Authenticator } from './auth.js';
import {
  classify,
  clientErrorHandler,
  fail,
  ignoreBodies,
  methodNotAllowed,
  strictIntegers,
} from './hygiene.js';
import { ConcurrencyGate, DEFAULT_LIMITS } from './limits.js';
import type { Limits } from './limits.js';
import { errorResponses, OPENAPI, routeSchema } from './openapi.js';
import { validatingSerializer } from './response.js';
import { LOG_PATHS, logRoutes } from './log.js';
import { HANDLERS } from './routes.js';
import type { Handler } from './routes.js';
import { corsPolicy, securityHeaders } from './security.js';

/** What {@link createQueryApi} needs. */
export interface QueryApiOptions {
  /** Connections as the API's (read-only) role; see `readerGrants`. */
  pool: Pool;
  /** The projector's schema, which also holds `api_tokens`. */
  schema: string;
  /** The server-side secret token hashes are keyed with (see `readPepper`). */
  pepper: Buffer;
  /** The query implementation; `openQueries(pool, schema)` by default. */
  queries?: LineageQueries;
  /**
   * Keys, fallback policy documents and signed release manifests bundles embed; called per bundle
   * request. Policy documents come first from the projected policies topic.
   */
  bundleSources: () => BundleSources;
  /** A pino-compatible logger; silent when omitted. */
  log?: FastifyBaseLogger;
  /** Caps, rate limits and timeouts over {@link DEFAULT_LIMITS}. */
  limits?: Partial<Limits>;
  /** Origins allowed to call from a browser; CORS is off when empty (the default). */
  corsOrigins?: readonly string[];
  /** Serve HTTPS with this certificate and key (PEM); HSTS is sent only then. */
  tls?: { cert: Buffer; key: Buffer };
}

// Routes whose work grows with the graph: capped in flight per token and in total.
const HEAVY = new Set<OperationId>([
  'ancestors',
  'descendants',
  'authorizationPath',
  'bundle',
  'agentBlastRadius',
]);

/**
 * The query API as a fastify instance (not listening yet): `/v1` lineage routes behind bearer tokens,
 * `/openapi.json`, `/healthz` and `/readyz` open. Requests and responses are validated against the
 * schemas of `@lineage/contract`. `ready()`/`listen()` runs no DDL: it checks the schema is migrated.
 * @throws ProjectionError SCHEMA_BEHIND (on ready) when the schema is not at `SERVING_VERSION`.
 */
export function createQueryApi(options: QueryApiOptions): FastifyInstance {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const app = createFastify(options, limits);
  // The CLI migrates; the API only checks that it may serve from this schema.
  app.addHook('onReady', async () => {
    await requireVersion(options.pool, options.schema, SERVING_VERSION);
  });
  errorHandling(app);
  securityHeaders(app, options.tls !== undefined);
  corsPolicy(app, options.corsOrigins ?? []);
  accessTrail(app);
  ignoreBodies(app);
  void app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: limits.requestsPerWindow,
    timeWindow: limits.rateWindowMs,
    // Per token once authenticated, else per client address; probes are never limited.
    keyGenerator: (request) =>
      request.token !== undefined ? `token:${request.token.name}` : `address:${request.ip}`,
    allowList: (request) => request.url === '/healthz',
  });
  // The OpenAPI document collects the routes registered after it.
  void app.register(swagger, OPENAPI);
  consoleRoutes(app);
  void app.register(async (scope) => {
    openRoutes(scope, options.pool, options.schema);
    lineageRoutes(scope, options, limits);
    methodNotAllowed(
      scope,
      [
        '/healthz',
        '/readyz',
        '/openapi.json',
        ...Object.values(ROUTES).map((r) => r.path),
        ...LOG_PATHS,
      ],
      {
        withOptions: (options.corsOrigins ?? []).length === 0,
      },
    );
  });
  return app;
}

/** fastify with its timeouts and caps, our request validation (ajv) and response validation. */
function createFastify(options: QueryApiOptions, limits: Limits): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log ?? pino({ enabled: false }),
    // The access trail logs each request once; fastify's own request lines would repeat it.
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: (handler) => httpServer(handler, limits, options.tls),
    bodyLimit: limits.bodyLimitBytes,
    clientErrorHandler,
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

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The HTTP(S) server with every timeout set; Node checks them each second, not each 30. */
function httpServer(handler: RequestHandler, limits: Limits, tls?: QueryApiOptions['tls']) {
  const settings = {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: 1_000,
  };
  const server =
    tls === undefined
      ? createServer(settings, handler)
      : createTlsServer({ ...settings, cert: tls.cert, key: tls.key }, handler);
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  server.maxConnections = limits.maxConnections;
  server.setTimeout(limits.connectionTimeoutMs);
  return server;
}

/** Every error, thrown or raised by validation, and every unknown route answer the one error body. */
function errorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const withCursor =
      typeof (request.query as { cursor?: unknown } | undefined)?.cursor === 'string';
    const { code, message } = classify(error, withCursor);
    if (code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    else if (code === 'UNAVAILABLE') request.log.warn({ err: error }, 'request refused: busy');
    return fail(reply, code, message);
  });
  app.setNotFoundHandler((_request, reply) => fail(reply, 'NOT_FOUND', 'no such route'));
}

/** `/openapi.json` (generated by `@fastify/swagger`), `/healthz` and `/readyz`, without a token. */
function openRoutes(app: FastifyInstance, pool: Pool, schema: string): void {
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
        summary: 'Liveness: the process answers (no database query)',
        security: [],
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'ready',
        summary: 'Readiness: Postgres answers and the schema is at the version the API serves',
        security: [],
        response: {
          200: Health,
          503: errorResponses('none')[503]!,
          500: errorResponses('none')[500]!,
        },
      },
    },
    async () => {
      await requireVersion(pool, schema, SERVING_VERSION);
      return { status: 'ok' as const };
    },
  );
}

/** Every route of `ROUTES` (`@lineage/contract`), behind its scope, answered by its handler. */
function lineageRoutes(app: FastifyInstance, options: QueryApiOptions, limits: Limits): void {
  const { pool, schema, bundleSources } = options;
  const queries = options.queries ?? openQueries(pool, schema);
  const log = options.log ?? app.log;
  const auth = new Authenticator({ pool, schema, pepper: options.pepper, limits, log });
  const gate = new ConcurrencyGate(limits.heavyPerToken, limits.heavyTotal);
  logRoutes(app, { pool, schema, auth });
  for (const id of Object.keys(ROUTES) as OperationId[]) {
    const route: RouteContract = ROUTES[id];
    const handle = HANDLERS[id] as Handler<OperationId>;
    app.get(
      route.path,
      {
        onRequest: auth.hook(route.scope),
        preValidation: strictIntegers(route.querystring),
        schema: routeSchema(id, route),
      },
      async (request, reply) => {
        const run = () =>
          handle({
            queries,
            params: request.params as never,
            query: request.query as never,
            sources: bundleSources,
          });
        const body = HEAVY.has(id)
          ? await gated(gate, request.token!.name, limits, run)
          : await run();
        if (route.mediaType !== undefined) void reply.type(route.mediaType);
        return body;
      },
    );
  }
}

/**
 * Runs heavy work in a slot of `gate`: a token past its in-flight cap gets 429, the process past
 * its total 503 (both with Retry-After), so heavy requests never take every pool connection.
 */
async function gated<T>(
  gate: ConcurrencyGate,
  key: string,
  limits: Limits,
  work: () => Promise<T>,
): Promise<T> {
  const slot = gate.enter(key);
  if (slot === 'key')
    throw Object.assign(new Error('too many heavy requests in flight for this token'), {
      statusCode: 429,
    });
  if (slot === 'total')
    throw Object.assign(new Error('too many heavy requests in flight'), { statusCode: 503 });
  try {
    return await work();
  } finally {
    gate.leave(key);
  }
}
