import { API_ERROR_CODES, ROUTES } from '@lineage/contract';
import type {
  AuthorizationPath,
  ExecutionSummary,
  ExecutionView,
  LineageNode,
  OperationId,
  Page,
  ResponseOf,
} from '@lineage/contract';
import { LineageQueryError } from './errors.js';
import type { QueryErrorCode } from './errors.js';

// The answers' types are the query API's contract (`@lineage/contract`), the same schemas the server
// validates its responses against: the client cannot drift from the API.
export type { AuthorizationPath, ExecutionSummary, ExecutionView, LineageNode, Page };

/** Walk options: links to follow at most and paging (server defaults: depth 50, limit 100). */
export interface WalkQuery {
  /** Links to follow at most, 1..1000 (server default 50). */
  depth?: number;
  /** Items per page, 1..1000 (server default 100). */
  limit?: number;
  cursor?: string | null;
}
export type PageQuery = Omit<WalkQuery, 'depth'>;

export interface QueryClientOptions {
  /** Where the query API listens, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** An API token (`lineage tokens create`). */
  token: string;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof globalThis.fetch;
}

/** The operation of the API each client method calls. */
export const OPERATION_OF = {
  show: 'showExecution',
  ancestors: 'ancestors',
  descendants: 'descendants',
  authorizationPath: 'authorizationPath',
  bundle: 'bundle',
  agentExecutions: 'agentExecutions',
  agentBlastRadius: 'agentBlastRadius',
  byFingerprint: 'byFingerprint',
  byPolicy: 'policyExecutions',
  byPrincipal: 'principalExecutions',
  policy: 'policy',
  byRuntime: 'runtimeExecutions',
} as const satisfies Record<string, OperationId>;

type Answer<M extends keyof typeof OPERATION_OF> = Promise<ResponseOf<(typeof OPERATION_OF)[M]>>;

/** The query API, typed: one method per endpoint, answering the endpoint's declared body. */
export interface QueryClient {
  show(executionId: string): Answer<'show'>;
  ancestors(executionId: string, options?: WalkQuery): Answer<'ancestors'>;
  descendants(executionId: string, options?: WalkQuery): Answer<'descendants'>;
  authorizationPath(executionId: string, options?: { depth?: number }): Answer<'authorizationPath'>;
  /** Needs a token with the `export` scope. */
  bundle(executionId: string): Answer<'bundle'>;
  agentExecutions(keyId: string, options?: PageQuery): Answer<'agentExecutions'>;
  agentBlastRadius(keyId: string, options?: WalkQuery): Answer<'agentBlastRadius'>;
  byFingerprint(fingerprint: string): Answer<'byFingerprint'>;
  byPolicy(policyId: string, version: number, options?: PageQuery): Answer<'byPolicy'>;
  /** Attestations decided under authority a principal granted, at any depth. */
  byPrincipal(principalKeyId: string, options?: PageQuery): Answer<'byPrincipal'>;
  /** The policy document published under a hash. */
  policy(hash: string): Answer<'policy'>;
  byRuntime(runtimeHash: string, options?: PageQuery): Answer<'byRuntime'>;
}

const CODES = new Set<string>(API_ERROR_CODES);

/** The path of an operation with its parameters filled in (each one URI-encoded). */
export function pathOf(operation: OperationId, params: Record<string, string | number>): string {
  return ROUTES[operation].path.replace(/:([A-Za-z]+)/g, (_, name: string) =>
    encodeURIComponent(String(params[name])),
  );
}

type QueryArgs = Record<string, string | number | null | undefined>;

/** The URL of `path` with the given (defined) query arguments. */
function urlOf(base: string, path: string, query: QueryArgs): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null) params.set(k, String(v));
  const qs = params.toString();
  return `${base}${path}${qs === '' ? '' : `?${qs}`}`;
}

/** The response's JSON body. @throws LineageQueryError BAD_RESPONSE when it is not JSON. */
async function jsonOf(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch (cause) {
    const message = `query API answered ${response.status} without JSON`;
    throw new LineageQueryError('BAD_RESPONSE', response.status, message, { cause });
  }
}

/** The error a non-2xx answer stands for: the server's typed code, else BAD_RESPONSE. */
function refusal(status: number, body: unknown): LineageQueryError {
  // The server's typed error body; anything else is a response we do not understand.
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code === 'string' && CODES.has(error.code))
    return new LineageQueryError(
      error.code as QueryErrorCode,
      status,
      typeof error.message === 'string' ? error.message : error.code,
    );
  return new LineageQueryError('BAD_RESPONSE', status, `query API answered ${status}`);
}

/**
 * A client of the lineage query API (`services/query-api`) over HTTP.
 * Every method throws LineageQueryError: the server's code and status, UNAVAILABLE when there is no
 * answer, BAD_RESPONSE when the answer is not the API's JSON.
 */
export function createQueryClient(options: QueryClientOptions): QueryClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;

  const get = async <T>(path: string, query: QueryArgs = {}): Promise<T> => {
    let response: Response;
    try {
      response = await fetchImpl(urlOf(base, path, query), {
        headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
      });
    } catch (cause) {
      throw new LineageQueryError('UNAVAILABLE', 0, `query API unreachable at ${base}`, { cause });
    }
    const body = await jsonOf(response);
    if (response.ok) return body as T;
    throw refusal(response.status, body);
  };

  const walk = (o: WalkQuery = {}) => ({ depth: o.depth, limit: o.limit, cursor: o.cursor });
  const page = (o: PageQuery = {}) => ({ limit: o.limit, cursor: o.cursor });

  return {
    show: (id) => get(pathOf('showExecution', { id })),
    ancestors: (id, o) => get(pathOf('ancestors', { id }), walk(o)),
    descendants: (id, o) => get(pathOf('descendants', { id }), walk(o)),
    authorizationPath: (id, o = {}) => get(pathOf('authorizationPath', { id }), { depth: o.depth }),
    bundle: (id) => get(pathOf('bundle', { id })),
    agentExecutions: (keyid, o) => get(pathOf('agentExecutions', { keyid }), page(o)),
    agentBlastRadius: (keyid, o) => get(pathOf('agentBlastRadius', { keyid }), walk(o)),
    byFingerprint: (fp) => get(pathOf('byFingerprint', { fp })),
    byPolicy: (id, version, o) => get(pathOf('policyExecutions', { id, version }), page(o)),
    byPrincipal: (keyid, o) => get(pathOf('principalExecutions', { keyid }), page(o)),
    policy: (hash) => get(pathOf('policy', { hash })),
    byRuntime: (hash, o) => get(pathOf('runtimeExecutions', { hash }), page(o)),
  };
}
