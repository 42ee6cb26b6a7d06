import type { Pool } from 'pg';
import { QUERYABLE_VERSION, requireVersion } from '@lineage/projection';
import { quoteSchema } from '@lineage/store';
import { bundle } from './bundle.js';
import { listAll, listPage, policy, show } from './show.js';
import type { LineageQueries } from './types.js';
import { digestArg, executionIdArg, keyIdArg, policyIdArg, policyVersionArg } from './validate.js';
import { authorizationPath } from './path.js';
import { blastRadius, walk } from './walk.js';

/**
 * The lineage queries over the projection's tables in `schema`, which must be migrated to
 * `QUERYABLE_VERSION` or later (`@lineage/projection`; {@link assertQueryable} checks it).
 * Every argument is validated before any SQL runs; values are bound as parameters and the schema
 * name goes through the store's identifier check.
 * @throws StoreError INVALID_IDENTIFIER for a bad schema name.
 */
export function openQueries(pool: Pool, schema: string): LineageQueries {
  quoteSchema(schema);
  return {
    show: async (id) => show(pool, schema, executionIdArg(id)),
    ancestors: async (id, options) => walk(pool, schema, 'up', executionIdArg(id), options),
    descendants: async (id, options) => walk(pool, schema, 'down', executionIdArg(id), options),
    agentBlastRadius: async (agent, options) => blastRadius(pool, schema, keyIdArg(agent), options),
    authorizationPath: async (id, options) =>
      authorizationPath(pool, schema, executionIdArg(id), options),
    byFingerprint: async (fingerprint) =>
      listAll(pool, schema, 'fingerprint', [digestArg(fingerprint, 'fingerprint')]),
    byPolicy: async (policyId, version, options) =>
      listPage(pool, schema, 'policy', [policyIdArg(policyId), policyVersionArg(version)], options),
    byRuntime: async (runtimeHash, options) =>
      listPage(pool, schema, 'runtime', [digestArg(runtimeHash, 'runtime hash')], options),
    byAgent: async (agent, options) => listPage(pool, schema, 'agent', [keyIdArg(agent)], options),
    byPrincipal: async (principal, options) =>
      listPage(pool, schema, 'principal', [keyIdArg(principal)], options),
    policy: async (hash) => policy(pool, schema, digestArg(hash, 'policy hash')),
    bundle: async (id, sources, options) =>
      bundle(pool, schema, executionIdArg(id), sources, options),
  };
}

/**
 * Checks that `schema` holds a projection the queries can read: migrated to `QUERYABLE_VERSION`.
 * @throws ProjectionError SCHEMA_BEHIND; StoreError INVALID_IDENTIFIER for a bad schema name.
 */
export async function assertQueryable(pool: Pool, schema: string): Promise<void> {
  await requireVersion(pool, schema, QUERYABLE_VERSION);
}
