import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { readTrustStore } from '@lineage/keys';
import type { TrustedKey } from '@lineage/protocol';
import { createRegistry } from '@lineage/runtime';
import type { FlagMap, ServeRole } from '@lineage/runtime';
import { createPool } from '@lineage/store';
import { QueryApiError } from './errors.js';
import { limitsFromEnv } from './limits.js';
import { readPepper } from './pepper.js';
import { readPolicies } from './policies.js';
import { readReleases } from './releases.js';
import { createQueryApi } from './server.js';

/** The query API's command-line flags, each overriding a setting (`--config <file>` names the file). */
export const QUERY_API_FLAGS: FlagMap = {
  'database-url': { path: 'postgres.url' },
  schema: { path: 'postgres.schema' },
  port: { path: 'api.port' },
  host: { path: 'api.host' },
  trust: { path: 'keys.trustStore' },
  policies: { path: 'api.policies' },
  release: { path: 'api.releases', multiple: true },
  'token-pepper-file': { path: 'api.tokenPepperFile' },
  'tls-cert': { path: 'api.tlsCert' },
  'tls-key': { path: 'api.tlsKey' },
  'cors-origin': { path: 'api.corsOrigins', multiple: true },
};

/**
 * Runs the query API from `settings` on `api.port`, with `/metrics` (request duration by route and
 * status, authentication failures) beside its `/healthz` and `/readyz`, and a server span per request.
 * @throws QueryApiError INVALID_ARGUMENT for a TLS certificate without its key (or the reverse) or a
 *   LINEAGE_API_* limit that is not a positive integer.
 */
export const serveQueryApi: ServeRole = async (settings, logger) => {
  const { api, postgres } = settings;
  if ((api.tlsCert === '') !== (api.tlsKey === ''))
    throw new QueryApiError('INVALID_ARGUMENT', 'api.tlsCert and api.tlsKey go together');
  const { limits, invalid } = limitsFromEnv(process.env);
  if (invalid.length > 0)
    throw new QueryApiError('INVALID_ARGUMENT', `not a positive integer: ${invalid.join(', ')}`);
  const keys = await trustedKeys(settings.keys.trustStore, logger);
  const policies = await readPolicies(api.policies);
  const releases = await readReleases(api.releases);
  const pepper = await readPepper(api.tokenPepperFile === '' ? {} : { file: api.tokenPepperFile });
  const tls =
    api.tlsCert !== ''
      ? { cert: await readFile(api.tlsCert), key: await readFile(api.tlsKey) }
      : undefined;
  if (tls === undefined && !isLoopback(api.host))
    logger.warn(
      { host: api.host },
      'binding beyond loopback without TLS: tokens cross the network in clear; terminate TLS here (api.tlsCert/api.tlsKey) or in a proxy',
    );
  // The API's sessions: every statement and lock wait is bounded; a full pool answers 503, not 500.
  const pool = createPool(postgres.url, {
    statementTimeoutMs: limits.requestTimeoutMs,
    lockTimeoutMs: 2_000,
    connectionTimeoutMillis: 2_000,
    onConnectionError: (error) => logger.warn({ err: error }, 'Postgres connection lost'),
  });
  const app = createQueryApi({
    pool,
    schema: postgres.schema,
    pepper,
    limits,
    corsOrigins: api.corsOrigins,
    ...(tls !== undefined && { tls }),
    bundleSources: () => ({ keys, policies, releases }),
    log: logger,
  });
  instrument(app, createRegistry());
  await app.listen({ port: api.port, host: api.host }).catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  const port = (app.server.address() as { port: number }).port;
  logger.info(
    { port, keys: keys.length, policies: policies.length, releases: releases.length, tls: !!tls },
    'query API ready',
  );
  return {
    name: 'query-api',
    port,
    // Stops accepting connections, finishes the requests in flight, then closes the pool.
    stop: () => app.close().then(() => pool.end()),
  };
};

/** The trust store's keys, for bundles; none (with a warning) when the file does not exist. */
async function trustedKeys(path: string, logger: Logger): Promise<readonly TrustedKey[]> {
  if (existsSync(path)) return (await readTrustStore(path)).document.keys;
  logger.warn({ trust: path }, 'no trust store: evidence bundles will carry no keys');
  return [];
}

/**
 * `/metrics` on the API's own port (`lineage_api_*` and the process's metrics), a duration sample and
 * a server span per request, and a count of requests refused for their credentials (401).
 */
function instrument(app: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: 'lineage_api_request_duration_seconds',
    help: 'Query API requests, by method, route template and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'lineage_api_authentication_failures_total',
    help: 'Requests refused for a missing, unknown, revoked or expired token (401)',
    registers: [registry],
  });
  const tracer = trace.getTracer('lineage-query-api');
  const spans = new WeakMap<object, Span>();
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url ?? 'unmatched';
    spans.set(
      request,
      tracer.startSpan(`${request.method} ${route}`, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': route },
      }),
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    duration.observe(
      { method: request.method, route, status: String(status) },
      reply.elapsedTime / 1000,
    );
    if (status === 401) authFailures.inc();
    const span = spans.get(request);
    span?.setAttribute('http.response.status_code', status);
    if (status >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
    span?.end();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}

/** Whether `host` binds only the loopback interface. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
