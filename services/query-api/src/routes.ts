import type {
  DepthQuery,
  OperationId,
  PageQuery,
  ParamsOf,
  QueryOf,
  ResponseOf,
  WalkQuery,
} from '@lineage/contract';
import type { BundleSources, LineageQueries, PageOptions, WalkOptions } from '@lineage/query';
import { QueryApiError } from './errors.js';

/** What a handler gets: the queries, the validated (coerced) request, and the bundle sources. */
export interface HandlerInput<K extends OperationId> {
  queries: LineageQueries;
  params: ParamsOf<K>;
  query: QueryOf<K>;
  sources: () => BundleSources;
}

/** Answers one endpoint with its declared 200 body; the compiler checks the body's type. */
export type Handler<K extends OperationId> = (input: HandlerInput<K>) => Promise<ResponseOf<K>>;

const walkOptions = (q: WalkQuery): WalkOptions => ({
  ...(q.depth !== undefined && { maxDepth: q.depth }),
  ...(q.limit !== undefined && { limit: q.limit }),
  ...(q.cursor !== undefined && { cursor: q.cursor }),
});
const pageOptions = (q: PageQuery): PageOptions => ({
  ...(q.limit !== undefined && { limit: q.limit }),
  ...(q.cursor !== undefined && { cursor: q.cursor }),
});
// `<partition>:<size>,…`, its shape already checked against `BundleQuery`.
const pinsOf = (pin: string | undefined) =>
  (pin === undefined ? [] : pin.split(',')).map((p) => {
    const [partition, size] = p.split(':').map(Number);
    return { partition: partition!, size: size! };
  });
const depthOption = (q: DepthQuery) => (q.depth !== undefined ? { maxDepth: q.depth } : {});

/** The handler of every lineage endpoint under /v1 (their shapes are `ROUTES` of `@lineage/contract`). */
export const HANDLERS: { readonly [K in OperationId]: Handler<K> } = {
  showExecution: ({ queries, params }) => queries.show(params.id),
  ancestors: ({ queries, params, query }) => queries.ancestors(params.id, walkOptions(query)),
  descendants: ({ queries, params, query }) => queries.descendants(params.id, walkOptions(query)),
  authorizationPath: ({ queries, params, query }) =>
    queries.authorizationPath(params.id, depthOption(query)),
  bundle: ({ queries, params, query, sources }) =>
    queries.bundle(params.id, sources(), { pins: pinsOf(query.pin) }),
  agentExecutions: ({ queries, params, query }) =>
    queries.byAgent(params.keyid, pageOptions(query)),
  agentBlastRadius: ({ queries, params, query }) =>
    queries.agentBlastRadius(params.keyid, walkOptions(query)),
  byFingerprint: async ({ queries, params }) => {
    const attestations = await queries.byFingerprint(params.fp);
    if (attestations.length === 0)
      throw new QueryApiError('NOT_FOUND', 'no execution has this fingerprint');
    return { fingerprint: params.fp, attestations };
  },
  policyExecutions: ({ queries, params, query }) =>
    queries.byPolicy(params.id, params.version, pageOptions(query)),
  principalExecutions: ({ queries, params, query }) =>
    queries.byPrincipal(params.keyid, pageOptions(query)),
  policy: ({ queries, params }) => queries.policy(params.hash),
  runtimeExecutions: ({ queries, params, query }) =>
    queries.byRuntime(params.hash, pageOptions(query)),
};
