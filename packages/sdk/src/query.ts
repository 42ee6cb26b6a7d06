import type { EvidenceBundle } from '@lineage/protocol';

/** Codes of the query API's error body, plus the client's own for transport failures. */
export type QueryErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_CURSOR'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'INTERNAL'
  /** No HTTP answer (connection refused, DNS, aborted). `status` is 0. */
  | 'UNAVAILABLE'
  /** An answer that is not the API's JSON (a proxy page, a truncated body). */
  | 'BAD_RESPONSE';

/** A query the API refused or could not answer; `code` is the server's, `status` the HTTP status. */
export class LineageQueryError extends Error {
  constructor(
    readonly code: QueryErrorCode,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LineageQueryError';
  }
}

/** One attestation of an execution as the API returns it. */
export interface ExecutionSummary {
  execution_id: string;
  attestation_digest: string;
  kind: 'decision' | 'override' | 'replay_rejection';
  decision: 'allow' | 'deny' | 'pending_override';
  reasons: string[];
  agent: string;
  action: string;
  resource: string;
  policy: { id: string; version: number; hash: string };
  runtime_hash: string;
  fingerprint: string;
  issued_at: string;
  issuer: string;
  partition: number;
  offset: string;
  sequence: number;
}

/** An execution reached by a walk, at its shortest distance from the start. */
export interface LineageNode {
  execution_id: string;
  depth: number;
  decision: string | null;
  action: string | null;
  agent: string | null;
}

/** A page of results; pass `next` as `cursor` for the following one (null on the last). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface ExecutionView {
  execution_id: string;
  attestations: ExecutionSummary[];
}

export interface AuthorizationPath {
  execution_id: string;
  nodes: LineageNode[];
  edges: { child: string; parent: string; parent_attestation: string }[];
  roots: string[];
}

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

/** The query API, typed: one method per endpoint. */
export interface QueryClient {
  show(executionId: string): Promise<ExecutionView>;
  ancestors(executionId: string, options?: WalkQuery): Promise<Page<LineageNode>>;
  descendants(executionId: string, options?: WalkQuery): Promise<Page<LineageNode>>;
  authorizationPath(executionId: string, options?: { depth?: number }): Promise<AuthorizationPath>;
  /** Needs a token with the `export` scope. */
  bundle(executionId: string): Promise<EvidenceBundle>;
  agentExecutions(keyId: string, options?: PageQuery): Promise<Page<ExecutionSummary>>;
  agentBlastRadius(keyId: string, options?: WalkQuery): Promise<Page<LineageNode>>;
  byFingerprint(
    fingerprint: string,
  ): Promise<{ fingerprint: string; attestations: ExecutionSummary[] }>;
  byPolicy(policyId: string, version: number, options?: PageQuery): Promise<Page<ExecutionSummary>>;
  byRuntime(runtimeHash: string, options?: PageQuery): Promise<Page<ExecutionSummary>>;
}

const CODES = new Set<string>([
  'INVALID_ARGUMENT',
  'INVALID_CURSOR',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'INTERNAL',
]);

/**
 * A client of the lineage query API (`services/query-api`) over HTTP.
 * Every method throws LineageQueryError: the server's code and status, UNAVAILABLE when there is no
 * answer, BAD_RESPONSE when the answer is not the API's JSON.
 */
export function createQueryClient(options: QueryClientOptions): QueryClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const seg = encodeURIComponent;

  const get = async <T>(
    path: string,
    query: Record<string, string | number | null | undefined> = {},
  ): Promise<T> => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null) params.set(k, String(v));
    const qs = params.toString();
    let response: Response;
    try {
      response = await fetchImpl(`${base}${path}${qs === '' ? '' : `?${qs}`}`, {
        headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
      });
    } catch (cause) {
      throw new LineageQueryError('UNAVAILABLE', 0, `query API unreachable at ${base}`, { cause });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (cause) {
      throw new LineageQueryError(
        'BAD_RESPONSE',
        response.status,
        `query API answered ${response.status} without JSON`,
        {
          cause,
        },
      );
    }
    if (response.ok) return body as T;
    // The server's typed error body; anything else is a response we do not understand.
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (typeof error?.code === 'string' && CODES.has(error.code))
      throw new LineageQueryError(
        error.code as QueryErrorCode,
        response.status,
        typeof error.message === 'string' ? error.message : error.code,
      );
    throw new LineageQueryError(
      'BAD_RESPONSE',
      response.status,
      `query API answered ${response.status}`,
    );
  };

  const walk = (o: WalkQuery = {}) => ({ depth: o.depth, limit: o.limit, cursor: o.cursor });
  const page = (o: PageQuery = {}) => ({ limit: o.limit, cursor: o.cursor });

  return {
    show: (id) => get(`/v1/executions/${seg(id)}`),
    ancestors: (id, o) => get(`/v1/executions/${seg(id)}/ancestors`, walk(o)),
    descendants: (id, o) => get(`/v1/executions/${seg(id)}/descendants`, walk(o)),
    authorizationPath: (id, o = {}) =>
      get(`/v1/executions/${seg(id)}/authorization-path`, { depth: o.depth }),
    bundle: (id) => get(`/v1/executions/${seg(id)}/bundle`),
    agentExecutions: (keyId, o) => get(`/v1/agents/${seg(keyId)}/executions`, page(o)),
    agentBlastRadius: (keyId, o) => get(`/v1/agents/${seg(keyId)}/blast-radius`, walk(o)),
    byFingerprint: (fp) => get(`/v1/fingerprints/${seg(fp)}`),
    byPolicy: (id, version, o) =>
      get(`/v1/policies/${seg(id)}/${seg(String(version))}/executions`, page(o)),
    byRuntime: (hash, o) => get(`/v1/runtimes/${seg(hash)}/executions`, page(o)),
  };
}
