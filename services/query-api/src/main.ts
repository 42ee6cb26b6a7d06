import { existsSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { readTrustStore } from '@lineage/keys';
import type { TrustedKey } from '@lineage/protocol';
import {
  DatabaseUrlFlag,
  SchemaFlag,
  TextFlag,
  databaseUrl,
  parseConfig,
  stopOnSignals,
} from '@lineage/runtime';
import { createPool } from '@lineage/store';
import { readPolicies } from './policies.js';
import { readReleases } from './releases.js';
import { createQueryApi } from './server.js';

/** The query API's configuration, checked at start (RuntimeError CONFIG_INVALID names a bad flag). */
const Config = Type.Object({
  'database-url': DatabaseUrlFlag,
  schema: SchemaFlag,
  port: Type.Integer({ minimum: 0, maximum: 65_535, description: 'an integer in 0..65535' }),
  host: TextFlag('a host name or address'),
  trust: Type.Optional(TextFlag('a trust store path')),
  policies: TextFlag('a policy directory'),
  release: Type.Array(TextFlag('a release file path')),
});

// Entry point: `tsx services/query-api/src/main.ts [--database-url url] [--schema lineage] [--port 8080]
//   [--host 127.0.0.1] [--trust .lineage/truststore.json] [--policies infra/policy]
//   [--release release.json ...]`. Bundles take policy documents from the projected policies topic,
//   falling back to --policies, and embed every --release (signed release manifests).
const values = parseConfig(Config, {
  'database-url': { type: 'string', default: databaseUrl() },
  schema: { type: 'string', default: process.env.LINEAGE_SCHEMA ?? 'lineage' },
  port: { type: 'string', default: process.env.PORT ?? '8080' },
  host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
  trust: { type: 'string' },
  policies: { type: 'string', default: 'infra/policy' },
  release: { type: 'string', multiple: true, default: [] },
});
const logger = pino({ name: 'query-api' });
const { port } = values;

// Without --trust, the demo's trust store if present; bundles then carry no keys otherwise.
const trustPath =
  values.trust ?? (existsSync('.lineage/truststore.json') ? '.lineage/truststore.json' : undefined);
const keys: readonly TrustedKey[] =
  trustPath === undefined ? [] : (await readTrustStore(trustPath)).document.keys;
if (trustPath === undefined) logger.warn('no --trust given: evidence bundles will carry no keys');
const policies = await readPolicies(values.policies);
const releases = await readReleases(values.release);

const pool = createPool(values['database-url'], {
  onConnectionError: (error) => logger.warn({ err: error }, 'Postgres connection lost'),
});
const app = createQueryApi({
  pool,
  schema: values.schema,
  bundleSources: () => ({ keys, policies, releases }),
  log: logger,
});
await app.listen({ port, host: values.host });
logger.info(
  { keys: keys.length, policies: policies.length, releases: releases.length },
  'query API ready',
);

stopOnSignals(() => app.close().then(() => pool.end()), logger);
