import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type {
  AttestationKind as ProtocolKind,
  Decision as ProtocolDecision,
} from '@lineage/protocol';
import { EXECUTION_ID_PATTERN, newExecutionId } from '@lineage/protocol';
import {
  API_ERROR_CODES,
  ExecutionIdParam,
  ExecutionSummary,
  MAX_BUNDLE_ATTESTATIONS,
  MAX_LIMIT,
  MAX_PATH_EDGES,
  MAX_PATH_NODES,
  MAX_WALK_WIDTH,
  NodePage,
  ROUTES,
} from './index.js';
import type { AttestationKind, Decision } from './index.js';

// Given the contract's schemas, then their closed lists equal the protocol's, ids use the protocol's
// pattern, and a summary missing a field or carrying an unknown one does not validate.

const summary: ExecutionSummary = {
  execution_id: '01936c3e-4c1a-7b2e-9f00-000000000001',
  attestation_digest: 'ab'.repeat(32),
  kind: 'override_rejection',
  decision: 'deny',
  reasons: ['OVERRIDE_NOT_PENDING'],
  agent: 'a',
  action: 'x',
  resource: 'r',
  policy: { id: 'default', version: 3, hash: 'cd'.repeat(32) },
  runtime_hash: 'ef'.repeat(32),
  fingerprint: '01'.repeat(32),
  issued_at: '2024-12-01T00:00:00.000Z',
  issuer: 'g',
  partition: 0,
  offset: '12',
  sequence: 12,
  overrides: 'ab'.repeat(32),
  approver: null,
  resolution: null,
  grant_digest: null,
  principals: [],
  depth: 0,
};

describe('the query API contract', () => {
  it('has the protocol kinds and decisions, no more, no fewer', () => {
    expectTypeOf<Static<typeof AttestationKind>>().toEqualTypeOf<ProtocolKind>();
    expectTypeOf<Static<typeof Decision>>().toEqualTypeOf<ProtocolDecision>();
  });

  it('takes the execution id pattern from the protocol', () => {
    expect(ExecutionIdParam.pattern).toBe(EXECUTION_ID_PATTERN);
    expect(Value.Check(ExecutionIdParam, newExecutionId())).toBe(true);
    expect(Value.Check(ExecutionIdParam, '0b0e4c3a-4f0a-4a8b-9c1d-2e3f4a5b6c7d')).toBe(false);
  });

  it('validates a summary only when it has every field and nothing else', () => {
    const { depth: _, ...missing } = summary;
    expect(Value.Check(ExecutionSummary.properties.kind, summary.kind)).toBe(true);
    expect(Value.Errors(ExecutionSummary, missing).First()?.path).toBe('/depth');
    expect(Value.Errors(ExecutionSummary, { ...summary, extra: 1 }).First()).toBeDefined();
  });

  it('names every route once, under /v1', () => {
    const paths = Object.values(ROUTES).map((r) => r.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const path of paths) expect(path).toMatch(/^\/v1\//);
  });

  it('states every cap in the schemas the OpenAPI document is made of', () => {
    const text = (schema: unknown) => JSON.stringify(schema);
    expect(ROUTES.descendants.querystring.properties.limit).toMatchObject({ maximum: MAX_LIMIT });
    expect(text(ROUTES.descendants.querystring)).toContain(String(MAX_WALK_WIDTH));
    expect(text(NodePage.properties.truncated)).toContain(String(MAX_WALK_WIDTH));
    expect(text(ROUTES.authorizationPath.response)).toContain(String(MAX_PATH_NODES));
    expect(text(ROUTES.authorizationPath.response)).toContain(String(MAX_PATH_EDGES));
    expect(text(ROUTES.bundle.response)).toContain(String(MAX_BUNDLE_ATTESTATIONS));
    expect(API_ERROR_CODES).toContain('RESPONSE_TOO_LARGE');
    const page = { items: [], next: null };
    expect(Value.Check(NodePage, { ...page, truncated: true })).toBe(true);
    expect(Value.Check(NodePage, page)).toBe(true);
  });
});
