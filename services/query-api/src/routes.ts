import type { BundleSources, LineageQueries, PageOptions, WalkOptions } from '@lineage/query';
import { QueryApiError } from './errors.js';
import type { Scope } from './tokens.js';

/** A JSON Schema fragment (draft 2020-12 / OpenAPI 3.1). */
export type JsonSchema = Record<string, unknown>;

/** One endpoint: its schemas (validated by fastify and published in the OpenAPI document) and its handler. */
export interface RouteSpec {
  /** fastify path, e.g. `/v1/executions/:id`. */
  path: string;
  operationId: string;
  summary: string;
  scope: Scope;
  params: Record<string, JsonSchema>;
  query: Record<string, JsonSchema>;
  /** `#/components/schemas/<name>` of the 200 body. */
  response: string;
  mediaType?: string;
  handle(
    queries: LineageQueries,
    params: Record<string, string>,
    query: QueryArgs,
    sources: () => BundleSources,
  ): Promise<unknown>;
}

/** The query string after validation and coercion. */
export interface QueryArgs {
  depth?: number;
  limit?: number;
  cursor?: string;
}

export const BUNDLE_MEDIA_TYPE = 'application/vnd.lineage.bundle.v1+json';

// Shapes of path parameters: anything else is a 400 before it reaches the query layer.
const executionId: JsonSchema = {
  type: 'string',
  description: 'execution id (lowercase UUIDv7)',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$',
  minLength: 36,
  maxLength: 36,
};
const digest = (description: string): JsonSchema => ({
  type: 'string',
  description,
  pattern: '^[0-9a-f]{64}$',
  minLength: 64,
  maxLength: 64,
});
const policyId: JsonSchema = {
  type: 'string',
  description: 'policy id',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,255}$',
  minLength: 1,
  maxLength: 256,
};
const policyVersion: JsonSchema = {
  type: 'integer',
  description: 'policy version',
  minimum: 0,
  maximum: 2_147_483_647,
};

const depth: JsonSchema = {
  type: 'integer',
  minimum: 1,
  maximum: 1000,
  description: 'parent/child links to follow at most (default 50)',
};
const limit: JsonSchema = {
  type: 'integer',
  minimum: 1,
  maximum: 1000,
  description: 'items per page (default 100)',
};
const cursor: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 1024,
  description: 'opaque cursor: the `next` of the previous page',
};
const walk = { depth, limit, cursor };
const paging = { limit, cursor };

const walkOptions = (q: QueryArgs): WalkOptions => ({
  ...(q.depth !== undefined && { maxDepth: q.depth }),
  ...(q.limit !== undefined && { limit: q.limit }),
  ...(q.cursor !== undefined && { cursor: q.cursor }),
});
const pageOptions = (q: QueryArgs): PageOptions => ({
  ...(q.limit !== undefined && { limit: q.limit }),
  ...(q.cursor !== undefined && { cursor: q.cursor }),
});

/** Every lineage endpoint under /v1. */
export const ROUTES: readonly RouteSpec[] = [
  {
    path: '/v1/executions/:id',
    operationId: 'showExecution',
    summary:
      "An execution's effective outcome (its decision, or the override answering it), refused resolutions, authority, and every attestation, its decision first",
    scope: 'read',
    params: { id: executionId },
    query: {},
    response: 'Execution',
    handle: (q, p) => q.show(p.id!),
  },
  {
    path: '/v1/executions/:id/ancestors',
    operationId: 'ancestors',
    summary: 'Executions the execution inherited authority from, nearest first',
    scope: 'read',
    params: { id: executionId },
    query: walk,
    response: 'NodePage',
    handle: (q, p, a) => q.ancestors(p.id!, walkOptions(a)),
  },
  {
    path: '/v1/executions/:id/descendants',
    operationId: 'descendants',
    summary: 'Blast radius: executions that inherited from the execution',
    scope: 'read',
    params: { id: executionId },
    query: walk,
    response: 'NodePage',
    handle: (q, p, a) => q.descendants(p.id!, walkOptions(a)),
  },
  {
    path: '/v1/executions/:id/authorization-path',
    operationId: 'authorizationPath',
    summary: 'The ancestor subgraph from the execution up to the roots where authority entered',
    scope: 'read',
    params: { id: executionId },
    query: { depth },
    response: 'AuthorizationPath',
    handle: (q, p, a) =>
      q.authorizationPath(p.id!, a.depth !== undefined ? { maxDepth: a.depth } : {}),
  },
  {
    path: '/v1/executions/:id/bundle',
    operationId: 'bundle',
    summary: 'The evidence bundle of the execution and all its ancestors (scope `export`)',
    scope: 'export',
    params: { id: executionId },
    query: {},
    response: 'EvidenceBundle',
    mediaType: BUNDLE_MEDIA_TYPE,
    handle: (q, p, _a, sources) => q.bundle(p.id!, sources()),
  },
  {
    path: '/v1/agents/:keyid/executions',
    operationId: 'agentExecutions',
    summary: "Attestations of an agent key's executions",
    scope: 'read',
    params: { keyid: digest('agent key id (SHA-256 hex of the public key)') },
    query: paging,
    response: 'SummaryPage',
    handle: (q, p, a) => q.byAgent(p.keyid!, pageOptions(a)),
  },
  {
    path: '/v1/agents/:keyid/blast-radius',
    operationId: 'agentBlastRadius',
    summary: 'Blast radius of a compromised agent key: its executions and all their descendants',
    scope: 'read',
    params: { keyid: digest('agent key id (SHA-256 hex of the public key)') },
    query: walk,
    response: 'NodePage',
    handle: (q, p, a) => q.agentBlastRadius(p.keyid!, walkOptions(a)),
  },
  {
    path: '/v1/fingerprints/:fp',
    operationId: 'byFingerprint',
    summary: 'Attestations carrying an execution fingerprint',
    scope: 'read',
    params: { fp: digest('execution fingerprint (SHA-256 hex)') },
    query: {},
    response: 'FingerprintResult',
    handle: async (q, p) => {
      const attestations = await q.byFingerprint(p.fp!);
      if (attestations.length === 0)
        throw new QueryApiError('NOT_FOUND', 'no execution has this fingerprint');
      return { fingerprint: p.fp, attestations };
    },
  },
  {
    path: '/v1/policies/:id/:version/executions',
    operationId: 'policyExecutions',
    summary: 'Attestations decided under a policy version',
    scope: 'read',
    params: { id: policyId, version: policyVersion },
    query: paging,
    response: 'SummaryPage',
    handle: (q, p, a) => q.byPolicy(p.id!, Number(p.version), pageOptions(a)),
  },
  {
    path: '/v1/principals/:keyid/executions',
    operationId: 'principalExecutions',
    summary: 'Attestations decided under authority a principal granted, at any depth',
    scope: 'read',
    params: { keyid: digest('principal key id (SHA-256 hex of the public key)') },
    query: paging,
    response: 'SummaryPage',
    handle: (q, p, a) => q.byPrincipal(p.keyid!, pageOptions(a)),
  },
  {
    path: '/v1/policies/:hash',
    operationId: 'policy',
    summary:
      'The policy document published under a hash (its RFC 8785 SHA-256): the exact document that decided',
    scope: 'read',
    params: { hash: digest('policy hash (SHA-256 hex of the canonical document)') },
    query: {},
    response: 'StoredPolicy',
    handle: (q, p) => q.policy(p.hash!),
  },
  {
    path: '/v1/runtimes/:hash/executions',
    operationId: 'runtimeExecutions',
    summary: 'Attestations decided by a governance runtime',
    scope: 'read',
    params: { hash: digest('runtime manifest hash (SHA-256 hex)') },
    query: paging,
    response: 'SummaryPage',
    handle: (q, p, a) => q.byRuntime(p.hash!, pageOptions(a)),
  },
];
