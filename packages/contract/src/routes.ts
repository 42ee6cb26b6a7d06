import { Type } from '@sinclair/typebox';
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { BUNDLE_MEDIA_TYPE } from '@lineage/protocol';
import * as request from './requests.js';
import * as shape from './shapes.js';

/** What a token may do: `read` every lineage query, `export` evidence bundles. */
export const ApiScope = Type.Union([Type.Literal('read'), Type.Literal('export')]);
export type ApiScope = Static<typeof ApiScope>;
/** Every scope of {@link ApiScope}. */
export const API_SCOPES: readonly ApiScope[] = ApiScope.anyOf.map((s) => s.const);

/** One GET endpoint under /v1: what it takes and what it answers with 200. */
export interface RouteContract {
  /** fastify path, e.g. `/v1/executions/:id`. */
  path: string;
  summary: string;
  scope: ApiScope;
  params: TObject;
  querystring: TObject;
  response: TSchema;
  /** The 200 body's media type when not `application/json`. */
  mediaType?: string;
}

/** Every lineage endpoint under /v1, by operation id. */
export const ROUTES = {
  showExecution: {
    path: '/v1/executions/:id',
    summary:
      "An execution's effective outcome (its decision, or the override answering it), refused resolutions, authority, and every attestation, its decision first",
    scope: 'read',
    params: request.ExecutionParams,
    querystring: request.NoQuery,
    response: shape.ExecutionView,
  },
  ancestors: {
    path: '/v1/executions/:id/ancestors',
    summary: 'Executions the execution inherited authority from, nearest first',
    scope: 'read',
    params: request.ExecutionParams,
    querystring: request.WalkQuery,
    response: shape.NodePage,
  },
  descendants: {
    path: '/v1/executions/:id/descendants',
    summary: 'Blast radius: executions that inherited from the execution',
    scope: 'read',
    params: request.ExecutionParams,
    querystring: request.WalkQuery,
    response: shape.NodePage,
  },
  authorizationPath: {
    path: '/v1/executions/:id/authorization-path',
    summary: 'The ancestor subgraph from the execution up to the roots where authority entered',
    scope: 'read',
    params: request.ExecutionParams,
    querystring: request.DepthQuery,
    response: shape.AuthorizationPath,
  },
  bundle: {
    path: '/v1/executions/:id/bundle',
    summary:
      'The evidence bundle of the execution and all its ancestors (scope `export`), with consistency proofs to the checkpoints `pin` names',
    scope: 'export',
    params: request.ExecutionParams,
    querystring: request.BundleQuery,
    response: shape.EvidenceBundle,
    mediaType: BUNDLE_MEDIA_TYPE,
  },
  agentExecutions: {
    path: '/v1/agents/:keyid/executions',
    summary: "Attestations of an agent key's executions",
    scope: 'read',
    params: request.AgentParams,
    querystring: request.PageQuery,
    response: shape.SummaryPage,
  },
  agentBlastRadius: {
    path: '/v1/agents/:keyid/blast-radius',
    summary: 'Blast radius of a compromised agent key: its executions and all their descendants',
    scope: 'read',
    params: request.AgentParams,
    querystring: request.WalkQuery,
    response: shape.NodePage,
  },
  byFingerprint: {
    path: '/v1/fingerprints/:fp',
    summary: 'Attestations carrying an execution fingerprint',
    scope: 'read',
    params: request.FingerprintParams,
    querystring: request.NoQuery,
    response: shape.FingerprintResult,
  },
  policyExecutions: {
    path: '/v1/policies/:id/:version/executions',
    summary: 'Attestations decided under a policy version',
    scope: 'read',
    params: request.PolicyVersionParams,
    querystring: request.PageQuery,
    response: shape.SummaryPage,
  },
  principalExecutions: {
    path: '/v1/principals/:keyid/executions',
    summary: 'Attestations decided under authority a principal granted, at any depth',
    scope: 'read',
    params: request.PrincipalParams,
    querystring: request.PageQuery,
    response: shape.SummaryPage,
  },
  policy: {
    path: '/v1/policies/:hash',
    summary:
      'The policy document published under a hash (its RFC 8785 SHA-256): the exact document that decided',
    scope: 'read',
    params: request.PolicyHashParams,
    querystring: request.NoQuery,
    response: shape.StoredPolicy,
  },
  runtimeExecutions: {
    path: '/v1/runtimes/:hash/executions',
    summary: 'Attestations decided by a governance runtime',
    scope: 'read',
    params: request.RuntimeParams,
    querystring: request.PageQuery,
    response: shape.SummaryPage,
  },
} as const satisfies Record<string, RouteContract>;

/** The operation id of an endpoint. */
export type OperationId = keyof typeof ROUTES;
/** The path parameters an endpoint takes, after validation and coercion. */
export type ParamsOf<K extends OperationId> = Static<(typeof ROUTES)[K]['params']>;
/** The query string an endpoint takes, after validation and coercion. */
export type QueryOf<K extends OperationId> = Static<(typeof ROUTES)[K]['querystring']>;
/** The 200 body of an endpoint. */
export type ResponseOf<K extends OperationId> = Static<(typeof ROUTES)[K]['response']>;
