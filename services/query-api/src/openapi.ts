import type { JsonSchema, RouteSpec } from './routes.js';
import { ROUTES } from './routes.js';

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});

const summary: JsonSchema = {
  type: 'object',
  required: [
    'execution_id',
    'attestation_digest',
    'kind',
    'decision',
    'reasons',
    'agent',
    'action',
    'resource',
    'policy',
    'runtime_hash',
    'fingerprint',
    'issued_at',
    'issuer',
    'partition',
    'offset',
    'sequence',
    'overrides',
    'approver',
    'resolution',
    'grant_digest',
    'principals',
    'depth',
  ],
  properties: {
    execution_id: { type: 'string' },
    attestation_digest: { type: 'string' },
    kind: { enum: ['decision', 'override', 'replay_rejection', 'override_rejection'] },
    decision: { enum: ['allow', 'deny', 'pending_override'] },
    reasons: { type: 'array', items: { type: 'string' } },
    agent: { type: 'string' },
    action: { type: 'string' },
    resource: { type: 'string' },
    policy: {
      type: 'object',
      required: ['id', 'version', 'hash'],
      properties: {
        id: { type: 'string' },
        version: { type: 'integer' },
        hash: { type: 'string' },
      },
    },
    runtime_hash: { type: 'string' },
    fingerprint: { type: 'string' },
    issued_at: { type: 'string', format: 'date-time' },
    issuer: { type: 'string' },
    partition: { type: 'integer' },
    offset: { type: 'string', description: 'Kafka offset, decimal (64-bit)' },
    sequence: { type: 'integer' },
    overrides: {
      type: ['string', 'null'],
      description: 'override / override_rejection: digest of the pending decision it answers',
    },
    approver: { type: ['string', 'null'], description: 'the approver its resolution names' },
    resolution: { enum: ['approve', 'reject', null] },
    grant_digest: { type: ['string', 'null'], description: 'digest of the root grant (roots)' },
    principals: {
      type: 'array',
      items: { type: 'string' },
      description: 'principals at the roots of its authority',
    },
    depth: { type: 'integer', description: 'links from the root grant (0 at a root)' },
  },
};
const dsse: JsonSchema = {
  type: 'object',
  required: ['payloadType', 'payload', 'signatures'],
  properties: {
    payloadType: { type: 'string' },
    payload: { type: 'string', description: 'base64' },
    signatures: {
      type: 'array',
      items: {
        type: 'object',
        required: ['keyid', 'sig'],
        properties: { keyid: { type: 'string' }, sig: { type: 'string' } },
      },
    },
  },
};
const resolutionView: JsonSchema = {
  type: 'object',
  required: [
    'attestation_digest',
    'pending',
    'decision',
    'reasons',
    'approver',
    'resolution',
    'reason',
    'resolved_at',
    'issued_at',
    'envelope',
  ],
  properties: {
    attestation_digest: { type: 'string', description: 'the override / override_rejection' },
    pending: { type: 'string', description: 'digest of the pending_override decision answered' },
    decision: { enum: ['allow', 'deny', 'pending_override'] },
    reasons: { type: 'array', items: { type: 'string' } },
    approver: { type: ['string', 'null'] },
    resolution: { enum: ['approve', 'reject', null] },
    reason: { type: ['string', 'null'] },
    resolved_at: { type: ['string', 'null'], format: 'date-time' },
    issued_at: { type: 'string', format: 'date-time' },
    envelope: { ...dsse, description: 'the approver-signed resolution (DSSE)' },
  },
};
const node: JsonSchema = {
  type: 'object',
  required: ['execution_id', 'depth', 'decision', 'action', 'agent'],
  properties: {
    execution_id: { type: 'string' },
    depth: { type: 'integer', description: 'shortest distance from the start' },
    decision: { type: ['string', 'null'] },
    action: { type: ['string', 'null'] },
    agent: { type: ['string', 'null'] },
  },
};
const page = (item: string): JsonSchema => ({
  type: 'object',
  required: ['items', 'next'],
  properties: {
    items: { type: 'array', items: ref(item) },
    next: { type: ['string', 'null'], description: 'cursor of the next page; null on the last' },
  },
});

const COMPONENTS: Record<string, JsonSchema> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: {
            enum: [
              'INVALID_ARGUMENT',
              'INVALID_CURSOR',
              'UNAUTHENTICATED',
              'FORBIDDEN',
              'NOT_FOUND',
              'INTERNAL',
            ],
          },
          message: { type: 'string' },
        },
      },
    },
  },
  ExecutionSummary: summary,
  LineageNode: node,
  NodePage: page('LineageNode'),
  SummaryPage: page('ExecutionSummary'),
  Resolution: resolutionView,
  Execution: {
    type: 'object',
    required: [
      'execution_id',
      'outcome',
      'decision',
      'override',
      'refused',
      'authorization',
      'attestations',
    ],
    properties: {
      execution_id: { type: 'string' },
      outcome: {
        type: ['object', 'null'],
        description:
          'what settles the execution: the override answering its decision, else its decision',
        required: ['decision', 'kind', 'attestation_digest'],
        properties: {
          decision: { enum: ['allow', 'deny', 'pending_override'] },
          kind: { enum: ['decision', 'override'] },
          attestation_digest: { type: 'string' },
        },
      },
      decision: {
        oneOf: [ref('ExecutionSummary'), { type: 'null' }],
        description: 'its decision (pending_override for an overridden execution)',
      },
      override: { oneOf: [ref('Resolution'), { type: 'null' }] },
      refused: {
        type: 'array',
        items: ref('Resolution'),
        description: 'resolutions governance refused; they changed nothing',
      },
      authorization: {
        type: ['object', 'null'],
        required: ['grant', 'inherited_from', 'principals', 'scope', 'depth'],
        properties: {
          grant: { type: ['string', 'null'], description: 'digest of the root grant (roots)' },
          inherited_from: {
            type: 'array',
            items: { type: 'string' },
            description: 'parent attestations (a decision, or the override approving it)',
          },
          principals: { type: 'array', items: { type: 'string' } },
          scope: {
            type: ['object', 'null'],
            properties: {
              actions: { type: 'array', items: { type: 'string' } },
              resources: { type: 'array', items: { type: 'string' } },
            },
          },
          depth: { type: 'integer' },
        },
      },
      attestations: { type: 'array', items: ref('ExecutionSummary') },
    },
  },
  StoredPolicy: {
    type: 'object',
    required: ['hash', 'id', 'version', 'document', 'activated_at', 'partition', 'offset'],
    properties: {
      hash: { type: 'string', description: 'SHA-256 of the RFC 8785 form of `document`' },
      id: { type: 'string' },
      version: { type: 'integer' },
      document: { type: 'object', description: 'the policy document as published' },
      activated_at: { type: 'string', format: 'date-time' },
      partition: { type: 'integer' },
      offset: { type: 'string', description: 'offset on the policies topic, decimal (64-bit)' },
    },
  },
  FingerprintResult: {
    type: 'object',
    required: ['fingerprint', 'attestations'],
    properties: {
      fingerprint: { type: 'string' },
      attestations: { type: 'array', items: ref('ExecutionSummary') },
    },
  },
  AuthorizationPath: {
    type: 'object',
    required: ['execution_id', 'nodes', 'edges', 'roots'],
    properties: {
      execution_id: { type: 'string' },
      nodes: { type: 'array', items: ref('LineageNode') },
      edges: {
        type: 'array',
        items: {
          type: 'object',
          required: ['child', 'parent', 'parent_attestation'],
          properties: {
            child: { type: 'string' },
            parent: { type: 'string' },
            parent_attestation: { type: 'string' },
          },
        },
      },
      roots: { type: 'array', items: { type: 'string' } },
    },
  },
  EvidenceBundle: {
    type: 'object',
    description:
      'application/vnd.lineage.bundle.v1+json: the attestation envelopes of the execution (its override first when one answers its decision, then its decision) and its ancestors, the public keys, the policy documents and signed release manifests, and inclusion proofs against signed checkpoints; verify with `lineage verify`',
    required: ['mediaType', 'execution_id', 'attestations', 'keys', 'policies'],
    properties: {
      mediaType: { const: 'application/vnd.lineage.bundle.v1+json' },
      execution_id: { type: 'string' },
      attestations: { type: 'array', items: dsse },
      keys: { type: 'array', items: { type: 'object' } },
      policies: { type: 'array', items: { type: 'object' } },
      releases: {
        type: 'array',
        items: dsse,
        description: 'signed release manifests vouching for governance runtimes',
      },
      ledger: {
        type: 'string',
        description: 'the attestations topic whose partitions the checkpoints sign (with `proofs`)',
      },
      checkpoints: {
        type: 'array',
        items: { type: 'string' },
        description: 'signed C2SP checkpoint notes, each once',
      },
      proofs: {
        type: 'array',
        description:
          'RFC 6962 inclusion proofs: attestation `index` (its sequence) of `partition` is in the tree `checkpoints[checkpoint]` signs; attestations no checkpoint covers yet have none',
        items: {
          type: 'object',
          required: ['attestation', 'partition', 'index', 'checkpoint', 'hashes'],
          properties: {
            attestation: { type: 'string' },
            partition: { type: 'integer' },
            index: { type: 'integer' },
            checkpoint: { type: 'integer' },
            hashes: { type: 'array', items: { type: 'string', contentEncoding: 'base64' } },
          },
        },
      },
    },
  },
};

function operation(route: RouteSpec): Record<string, unknown> {
  const parameters = [
    ...Object.entries(route.params).map(([name, schema]) => ({
      name,
      in: 'path',
      required: true,
      schema,
    })),
    ...Object.entries(route.query).map(([name, schema]) => ({
      name,
      in: 'query',
      required: false,
      schema,
    })),
  ];
  return {
    operationId: route.operationId,
    summary: route.summary,
    security: [{ bearer: [route.scope] }],
    parameters,
    responses: {
      '200': {
        description: 'OK',
        content: { [route.mediaType ?? 'application/json']: { schema: ref(route.response) } },
      },
      '400': errorResponse('INVALID_ARGUMENT or INVALID_CURSOR'),
      '401': errorResponse('UNAUTHENTICATED: missing, unknown or revoked token'),
      '403': errorResponse(`FORBIDDEN: the token lacks scope \`${route.scope}\``),
      '404': errorResponse('NOT_FOUND'),
      '500': errorResponse('INTERNAL'),
    },
  };
}

/** `/v1/executions/:id` → `/v1/executions/{id}`. */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, '{$1}');

/** The OpenAPI 3.1 document of the API, generated from the same route table the server registers. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness: the process answers and Postgres is reachable',
        security: [],
        responses: {
          '200': {
            description: 'OK',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { status: { const: 'ok' } } },
              },
            },
          },
          '500': errorResponse('INTERNAL'),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1 document' } },
      },
    },
  };
  for (const route of ROUTES) paths[openApiPath(route.path)] = { get: operation(route) };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lineage query API',
      version: '1.0.0',
      description:
        'Read-only queries over the execution-lineage projections. Every /v1 route needs `Authorization: Bearer <token>` (create one with `lineage tokens create`); errors are `{ "error": { "code", "message" } }`.',
    },
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'API token; scopes `read` (queries) and `export` (bundles)',
        },
      },
      schemas: COMPONENTS,
    },
  };
}
