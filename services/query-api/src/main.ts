import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { databaseUrl, stopOnSignals } from '@lineage/runtime';
import { readTrustStore } from '@lineage/keys';
import type { TrustedKey } from '@lineage/protocol';
import { createPool, isIdentifier } from '@lineage/store';
import { QueryApiError } from './errors.js';
import { limitsFromEnv } from './limits.js';
import { readPepper } from './pepper.js';
import { readPolicies } from './policies.js';
import { readReleases } from './releases.js';
import { createQueryApi } from './server.js';

// Entry point: `tsx services/query-api/src/main.ts [--database-url url] [--schema lineage] [--port 8080]
//   [--host 127.0.0.1] [--trust .lineage/truststore.json] [--policies infra/policy]
//   [--release release.json ...] [--token-pepper-file f] [--tls-cert f --tls-key f]
//   [--cors-origin https://a.example ...]`. Bundles take policy documents from the projected
//   policies topic, falling back to --policies, and embed every --release (signed release
//   manifests). Limits and timeouts: LINEAGE_API_* variables (README, "Security").
const { values } = parseArgs({
  options: {
    'database-url': { type: 'string', default: databaseUrl() },
    schema: { type: 'string', default: process.env.LINEAGE_SCHEMA ?? 'lineage' },
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    trust: { type: 'string' },
    policies: { type: 'string', default: 'infra/policy' },
    release: { type: 'string', multiple: true, default: [] },
    'token-pepper-file': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'cors-origin': { type: 'string', multiple: true, default: [] },
  },
});

const logger = pino({ name: 'query-api' });
const port = Number(values.port);
if (!isIdentifier(values.schema))
  throw new QueryApiError('INVALID_ARGUMENT', '--schema must match ^[a-z_][a-z0-9_]{0,40}$');
if (!Number.isInteger(port) || port < 0 || port > 65_535)
  throw new QueryApiError('INVALID_ARGUMENT', '--port must be an integer in 0..65535');
if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
  throw new QueryApiError('INVALID_ARGUMENT', '--tls-cert and --tls-key go together');
const { limits, invalid } = limitsFromEnv(process.env);
if (invalid.length > 0)
  throw new QueryApiError('INVALID_ARGUMENT', `not a positive integer: ${invalid.join(', ')}`);

// Without --trust, the demo's trust store if present; bundles then carry no keys otherwise.
const trustPath =
  values.trust ?? (existsSync('.lineage/truststore.json') ? '.lineage/truststore.json' : undefined);
const keys: readonly TrustedKey[] =
  trustPath === undefined ? [] : (await readTrustStore(trustPath)).document.keys;
if (trustPath === undefined) logger.warn('no --trust given: evidence bundles will carry no keys');
const policies = await readPolicies(values.policies);
const releases = await readReleases(values.release);
const pepper = await readPepper({
  ...(values['token-pepper-file'] && { file: values['token-pepper-file'] }),
});
const tls =
  values['tls-cert'] !== undefined && values['tls-key'] !== undefined
    ? { cert: await readFile(values['tls-cert']), key: await readFile(values['tls-key']) }
    : undefined;
if (tls === undefined && !isLoopback(values.host))
  logger.warn(
    { host: values.host },
    'binding beyond loopback without TLS: tokens cross the network in clear; terminate TLS here (--tls-cert/--tls-key) or in a proxy',
  );

// The API's sessions: every statement and lock wait is bounded; a full pool answers 503, not 500.
const pool = createPool(values['database-url'], {
  statementTimeoutMs: limits.requestTimeoutMs,
  lockTimeoutMs: 2_000,
  connectionTimeoutMillis: 2_000,
  onConnectionError: (error) => logger.warn({ err: error }, 'Postgres connection lost'),
});
const app = createQueryApi({
  pool,
  schema: values.schema,
  pepper,
  limits,
  corsOrigins: values['cors-origin'],
  ...(tls !== undefined && { tls }),
  bundleSources: () => ({ keys, policies, releases }),
  log: logger,
});
await app.listen({ port, host: values.host });
logger.info(
  {
    keys: keys.length,
    policies: policies.length,
    releases: releases.length,
    tls: tls !== undefined,
  },
  'query API ready',
);

stopOnSignals(() => app.close().then(() => pool.end()), logger);

/** Whether `host` binds only the loopback interface. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
