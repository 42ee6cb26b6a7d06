import { describe, expect, expectTypeOf, it } from 'vitest';
import { API_ERROR_CODES, ROUTES } from '@lineage/contract';
import type { ApiErrorCode, OperationId, ResponseOf } from '@lineage/contract';
import type { EvidenceBundle } from '@lineage/protocol';
import type { QueryErrorCode } from './errors.js';
import { createQueryClient, OPERATION_OF } from './query.js';
import type { ExecutionSummary, QueryClient } from './query.js';

// Given the query API's contract (`@lineage/contract`, the schemas the server validates against),
// when the SDK's query client is compared with it, then every endpoint has exactly one client method,
// each method calls its endpoint's path, and answers with the endpoint's declared body type.

const ID = '01936c3e-4c1a-7b2e-9f00-000000000001';
const DIGEST = 'ab'.repeat(32);

type Answer<M extends keyof QueryClient> = Awaited<ReturnType<QueryClient[M]>>;

/** Calls a client method with sample arguments of the right shape. */
const CALLS: { [M in keyof QueryClient]: (c: QueryClient) => Promise<unknown> } = {
  show: (c) => c.show(ID),
  ancestors: (c) => c.ancestors(ID),
  descendants: (c) => c.descendants(ID),
  authorizationPath: (c) => c.authorizationPath(ID),
  bundle: (c) => c.bundle(ID),
  agentExecutions: (c) => c.agentExecutions(DIGEST),
  agentBlastRadius: (c) => c.agentBlastRadius(DIGEST),
  byFingerprint: (c) => c.byFingerprint(DIGEST),
  byPolicy: (c) => c.byPolicy('default', 3),
  byPrincipal: (c) => c.byPrincipal(DIGEST),
  policy: (c) => c.policy(DIGEST),
  byRuntime: (c) => c.byRuntime(DIGEST),
};

/** The contract path with `:name` segments as a pattern. */
const pattern = (path: string) => new RegExp(`^${path.replace(/:[A-Za-z]+/g, '[^/]+')}$`);

describe('the SDK query client against the API contract', () => {
  it('has one method per endpoint and no method without one', () => {
    const operations = Object.values(OPERATION_OF).sort();
    expect(operations).toEqual(Object.keys(ROUTES).sort());
    expect(Object.keys(CALLS).sort()).toEqual(Object.keys(OPERATION_OF).sort());
  });

  it.each(Object.entries(OPERATION_OF))('%s calls the path of %s', async (method, operation) => {
    const seen: string[] = [];
    const fetch = (async (input: string | URL | Request) => {
      seen.push(new URL(String(input)).pathname);
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof globalThis.fetch;
    const client = createQueryClient({ baseUrl: 'http://api.test', token: 't', fetch });
    await CALLS[method as keyof QueryClient](client);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(pattern(ROUTES[operation as OperationId].path));
  });

  it('answers with the bodies the contract declares (checked by the compiler)', () => {
    expectTypeOf<Answer<'show'>>().toEqualTypeOf<ResponseOf<'showExecution'>>();
    expectTypeOf<Answer<'ancestors'>>().toEqualTypeOf<ResponseOf<'ancestors'>>();
    expectTypeOf<Answer<'descendants'>>().toEqualTypeOf<ResponseOf<'descendants'>>();
    expectTypeOf<Answer<'authorizationPath'>>().toEqualTypeOf<ResponseOf<'authorizationPath'>>();
    expectTypeOf<Answer<'bundle'>>().toEqualTypeOf<EvidenceBundle>();
    expectTypeOf<Answer<'agentExecutions'>>().toEqualTypeOf<ResponseOf<'agentExecutions'>>();
    expectTypeOf<Answer<'agentBlastRadius'>>().toEqualTypeOf<ResponseOf<'agentBlastRadius'>>();
    expectTypeOf<Answer<'byFingerprint'>>().toEqualTypeOf<ResponseOf<'byFingerprint'>>();
    expectTypeOf<Answer<'byPolicy'>>().toEqualTypeOf<ResponseOf<'policyExecutions'>>();
    expectTypeOf<Answer<'byPrincipal'>>().toEqualTypeOf<ResponseOf<'principalExecutions'>>();
    expectTypeOf<Answer<'policy'>>().toEqualTypeOf<ResponseOf<'policy'>>();
    expectTypeOf<Answer<'byRuntime'>>().toEqualTypeOf<ResponseOf<'runtimeExecutions'>>();
    // The summary the SDK once copied by hand (and let drift): every kind, every field.
    expectTypeOf<ExecutionSummary['kind']>().toEqualTypeOf<
      'decision' | 'override' | 'replay_rejection' | 'override_rejection'
    >();
    expectTypeOf<ExecutionSummary>().toHaveProperty('principals');
    expectTypeOf<ExecutionSummary>().toHaveProperty('grant_digest');
  });

  it('knows every error code the API answers with', () => {
    expectTypeOf<ApiErrorCode>().toMatchTypeOf<QueryErrorCode>();
    expect(API_ERROR_CODES).toEqual([
      'INVALID_ARGUMENT',
      'INVALID_CURSOR',
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'NOT_FOUND',
      'RESPONSE_TOO_LARGE',
      'INTERNAL',
      'METHOD_NOT_ALLOWED',
      'REQUEST_TIMEOUT',
      'PAYLOAD_TOO_LARGE',
      'HEADERS_TOO_LARGE',
      'RATE_LIMITED',
      'UNAVAILABLE',
    ]);
  });
});
